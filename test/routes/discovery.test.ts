import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { PROBLEMS, problemSlug, type ProblemCode } from "../../src/http/problem.js";
import { flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";

/**
 * What a verifier or a client finds without a token: RFC 8414 metadata built from JWT_ISSUER, and
 * the pages behind the problem `type` URIs, one per code of the registry.
 */
const ISSUER = "https://auth-service.test/auth";
const CODES = Object.keys(PROBLEMS) as ProblemCode[];

describe("discovery", () => {
  let testApp: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    testApp = await createTestApp({ env: { JWT_ISSUER: ISSUER } });
    client = inProcessClient(testApp.app);
  });
  afterAll(() => testApp.cleanup());
  const { signedIn } = flows(() => client);

  /** The path at this service of a URI under the issuer (the service sits at the issuer's path behind a proxy). */
  function servicePath(uri: string): string {
    expect(uri.startsWith(`${ISSUER}/`), uri).toBe(true);
    return uri.slice(ISSUER.length);
  }

  describe("/.well-known/oauth-authorization-server (RFC 8414)", () => {
    it("is the same document as the OpenID configuration, naming only what is implemented: the code flow with S256, and the endpoints that serve it", async () => {
      const response = await client.request("GET", "/.well-known/oauth-authorization-server");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect((await client.request("GET", "/.well-known/openid-configuration")).body).toEqual(response.body);
      const metadata = response.body;
      expect(metadata).toMatchObject({
        issuer: ISSUER,
        jwks_uri: `${ISSUER}/.well-known/jwks.json`,
        response_types_supported: ["code"],
        grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
        code_challenge_methods_supported: ["S256"],
        authorization_response_iss_parameter_supported: true,
        request_uri_parameter_supported: false,
        service_documentation: `${ISSUER}/ui`,
      });
      expect(metadata.grant_types_supported).not.toContain("implicit");
      expect(metadata.grant_types_supported).not.toContain("password");
      // Every endpoint it names is served here: none answers 404.
      for (const name of ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "revocation_endpoint", "introspection_endpoint", "end_session_endpoint"]) {
        const status = (await client.request(name === "token_endpoint" || name.startsWith("revocation") || name.startsWith("introspection") ? "POST" : "GET", servicePath(metadata[name]))).status;
        expect(status, name).not.toBe(404);
      }
    });

    it("is publicly cacheable for a short while", async () => {
      const response = await client.request("GET", "/.well-known/oauth-authorization-server");
      const maxAge = Number(/^public, max-age=(\d+)$/.exec(response.headers.get("cache-control") ?? "")?.[1]);
      expect(maxAge).toBeGreaterThan(0);
      expect(maxAge).toBeLessThanOrEqual(3600);
    });

    it("has the issuer that every access token names, and a jwks_uri that serves the key of its kid", async () => {
      const { tokens } = await signedIn("discovery");
      const metadata = (await client.request("GET", "/.well-known/oauth-authorization-server")).body;
      expect(decodeJwt(tokens.access_token).iss).toBe(metadata.issuer);
      const jwks = await client.request("GET", servicePath(metadata.jwks_uri));
      expect(jwks.status).toBe(200);
      const kid = JSON.parse(atob(tokens.access_token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))).kid;
      expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).toContain(kid);
    });
  });

  describe("/problems/{slug}", () => {
    it("answers a short HTML page for every code of the registry, under a strict policy and without scripts", async () => {
      for (const code of CODES) {
        const response = await client.request("GET", `/problems/${problemSlug(code)}`, { headers: { accept: "text/html" } });
        expect(response.status, code).toBe(200);
        expect(response.headers.get("content-type"), code).toMatch(/^text\/html; charset=UTF-8$/i);
        expect(response.text, code).toContain(`<code>${code}</code>`);
        expect(response.text, code).toContain(PROBLEMS[code].title.replaceAll("'", "&#39;"));
        expect(response.text, code).not.toMatch(/<script|\son[a-z]+=|javascript:/i);
        const policy = response.headers.get("content-security-policy") ?? "";
        expect(policy, code).toMatch(/^default-src 'none';/);
        expect(policy, code).not.toMatch(/unsafe-inline|unsafe-eval|script-src/);
        expect(response.headers.get("cache-control"), code).toMatch(/^public, max-age=\d+$/);
      }
    });

    it("allows exactly its own stylesheet, by hash", async () => {
      const response = await client.request("GET", "/problems/not-found");
      const style = /<style>([^<]*)<\/style>/.exec(response.text)?.[1] ?? "";
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style)));
      expect(response.headers.get("content-security-policy")).toContain(`style-src 'sha256-${btoa(String.fromCharCode(...digest))}'`);
    });

    it("answers the same facts as JSON when Accept asks for it", async () => {
      const response = await client.request("GET", "/problems/rate-limited", { headers: { accept: "application/json" } });
      expect(response.status).toBe(200);
      expect(response.headers.get("vary")).toBe("Accept");
      expect(response.body).toEqual({
        type: `${ISSUER}/problems/rate-limited`,
        code: "RATE_LIMITED",
        status: 429,
        title: PROBLEMS.RATE_LIMITED.title,
        description: PROBLEMS.RATE_LIMITED.help,
      });
    });

    it("lists every problem type at /problems", async () => {
      const html = await client.request("GET", "/problems");
      expect(html.status).toBe(200);
      for (const code of CODES) expect(html.text).toContain(`href="${ISSUER}/problems/${problemSlug(code)}"`);
      const json = await client.request("GET", "/problems", { headers: { accept: "application/json" } });
      expect(json.body.items.map((item: { code: string }) => item.code)).toEqual(CODES);
    });

    it("is a 404 problem for a name that is not a code's slug", async () => {
      for (const slug of ["no-such-problem", "VALIDATION_FAILED", "validation_failed", "validation-failed-", "constructor", "to-string"]) {
        const response = await client.request("GET", `/problems/${slug}`);
        expect(response.status, slug).toBe(404);
        expect(response.headers.get("content-type"), slug).toBe("application/problem+json");
        expect(response.body, slug).toMatchObject({ code: "NOT_FOUND", type: `${ISSUER}/problems/not-found` });
        expect(response.headers.get("cache-control"), slug).toBe("no-store");
      }
    });

    it("is where the type of a problem body points: a 200 page on the same server", async () => {
      const answers = [
        await client.request("POST", "/register", { json: { email: "not an address", password: PASSWORD } }),
        await client.request("GET", "/me"),
        await client.request("POST", "/login", { json: { email: uniqueEmail("nobody"), password: PASSWORD } }),
        await client.request("GET", "/no/such/route"),
      ];
      for (const answer of answers) {
        const { type, code } = answer.body;
        expect(type).toBe(`${ISSUER}/problems/${problemSlug(code)}`);
        const page = await client.request("GET", servicePath(type));
        expect(page.status, type).toBe(200);
        expect(page.text).toContain(`<code>${code}</code>`);
      }
    });
  });
});
