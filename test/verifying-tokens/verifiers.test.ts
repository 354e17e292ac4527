import { once } from "node:events";
import { decodeJwt, errors as joseErrors, exportJWK, generateKeyPair, SignJWT } from "jose";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi as createExpressApi } from "../../docs/examples/verify-with-express-oauth2-jwt-bearer.js";
import { createApi as createHonoApi } from "../../docs/examples/verify-with-hono-jwk.js";
import { createAccessTokenVerifier as createJoseVerifier } from "../../docs/examples/verify-with-jose.js";
import { createAccessTokenVerifier as createJsonwebtokenVerifier } from "../../docs/examples/verify-with-jsonwebtoken.js";
import type { App } from "../../src/app.js";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, listen, listenerOf, type Listener, type TestApp } from "../helpers/test-app.js";

/**
 * The snippets of docs/VERIFYING-TOKENS.md (docs/examples/), each run as a downstream service would
 * run it against a real auth-service listener whose JWT_ISSUER is its own URL: jose and
 * jsonwebtoken + jwks-rsa as functions, hono/jwk in a Hono app, express-oauth2-jwt-bearer in an
 * Express app on a real port. Each accepts a fresh access token and refuses a refresh token, an
 * expired access token (issued while the service's test clock stood in the past) and a JWT of the
 * same key that is not an access token.
 */

interface AuthService {
  testApp: TestApp;
  listener: Listener;
  issuer: string;
  audience: string;
  cleanup(): Promise<void>;
}

/** The service on a port first, so that its issuer can be its real URL, as in production. */
async function startAuthService(env: Record<string, string> = {}): Promise<AuthService> {
  let app: App | undefined;
  const listener = await listen((request) => app!.fetch(request));
  const testApp = await createTestApp({ env: { JWT_ISSUER: listener.baseUrl, ...env } });
  app = testApp.app;
  return {
    testApp,
    listener,
    issuer: testApp.config.jwt.issuer,
    audience: testApp.config.jwt.audience,
    async cleanup() {
      await listener.close();
      await testApp.cleanup();
    },
  };
}

interface Tokens {
  userId: string;
  fresh: string;
  refresh: string;
  expired: string;
  /** Signed by the service's own key with the access token's claims, but `typ: JWT` (an ID token, say). */
  notAnAccessToken: string;
}

async function post(service: AuthService, path: string, body: unknown) {
  const response = await fetch(`${service.listener.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.ok).toBe(true);
  return response.json() as Promise<Record<string, unknown>>;
}

async function mintTokens(service: AuthService): Promise<Tokens> {
  const { testApp } = service;
  const email = uniqueEmail("verifier");
  const user = await post(service, "/register", { email, password: PASSWORD });
  const pair = await post(service, "/login", { email, password: PASSWORD });
  // Issued an hour and a lifetime ago on the service's clock: expired by the wall clock that verifiers read.
  testApp.clock.advance(-(testApp.config.tokens.accessTokenTtlSeconds + 3600));
  const old = await post(service, "/login", { email, password: PASSWORD });
  testApp.clock.reset();

  const fresh = pair.access_token as string;
  const { signing } = testApp.signingKeys;
  const notAnAccessToken = await new SignJWT(decodeJwt(fresh))
    .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: "JWT" })
    .sign(signing.key);
  return { userId: user.id as string, fresh, refresh: pair.refresh_token as string, expired: old.access_token as string, notAnAccessToken };
}

/** What a verifier made of a token: accepted (with the claims it passed on) or refused with a 401. */
type Outcome = { status: 200; sub: unknown; client_id: unknown } | { status: 401 };
type Verify = (token: string) => Promise<Outcome>;

/** A verifier function: its own error classes are a refusal; anything else (a JWKS fetch failing) fails the test. */
function fromFunction(verify: (token: string) => Promise<Record<string, unknown>>, refusal: (error: unknown) => boolean): Verify {
  return async (token) => {
    try {
      const { sub, client_id } = await verify(token);
      return { status: 200, sub, client_id };
    } catch (error) {
      if (refusal(error)) return { status: 401 };
      throw error;
    }
  };
}

/** An HTTP API: 200 with the claims, or 401 with a Bearer challenge; any other answer fails the test. */
function fromHttp(request: (token: string) => Promise<Response>): Verify {
  return async (token) => {
    const response = await request(token);
    if (response.status === 401) {
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
      await response.body?.cancel();
      return { status: 401 };
    }
    expect(response.status).toBe(200);
    const { sub, client_id } = (await response.json()) as Record<string, unknown>;
    return { status: 200, sub, client_id };
  };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function listenExpress(app: ReturnType<typeof createExpressApi>): Promise<Listener> {
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  return listenerOf(server);
}

/** The four expectations of the guide, for one verifier. */
function describeVerifier(name: string, context: () => { tokens: Tokens; verify: Verify; clientId: string }) {
  describe(name, () => {
    it("accepts a fresh access token and passes on its subject and client_id", async () => {
      const { tokens, verify, clientId } = context();
      expect(await verify(tokens.fresh)).toEqual({ status: 200, sub: tokens.userId, client_id: clientId });
    });
    it("refuses a refresh token", async () => {
      const { tokens, verify } = context();
      expect(await verify(tokens.refresh)).toEqual({ status: 401 });
    });
    it("refuses an expired access token", async () => {
      const { tokens, verify } = context();
      expect(await verify(tokens.expired)).toEqual({ status: 401 });
    });
    it("refuses a JWT of the same key that is not an access token (typ JWT)", async () => {
      const { tokens, verify } = context();
      expect(await verify(tokens.notAnAccessToken)).toEqual({ status: 401 });
    });
  });
}

const isJoseError = (error: unknown) => error instanceof joseErrors.JOSEError;
const isJsonwebtokenError = (error: unknown) => error instanceof jwt.JsonWebTokenError;

type VerifierName = "jose" | "hono" | "express" | "jsonwebtoken";

/**
 * One auth-service with the key `env` configures (`alg` checked), the guide's verifiers in front
 * of it, and the four expectations for each one named in `suites`.
 */
function describeVerifiersOf(
  title: string,
  { alg, env, suites }: { alg: "EdDSA" | "RS256"; env: () => Promise<Record<string, string>>; suites: Array<[VerifierName, string]> },
) {
  describe(title, () => {
    let service: AuthService;
    let tokens: Tokens;
    let express: Listener;
    const verifiers: Partial<Record<VerifierName, Verify>> = {};

    beforeAll(async () => {
      service = await startAuthService(await env());
      expect(service.testApp.signingKeys.signing.alg).toBe(alg);
      tokens = await mintTokens(service);
      const options = { issuer: service.issuer, audience: service.audience };
      // jsonwebtoken + jwks-rsa cannot verify EdDSA: the guide gives it with an RS256 key only.
      if (alg === "RS256") verifiers.jsonwebtoken = fromFunction(createJsonwebtokenVerifier(options), isJsonwebtokenError);
      verifiers.jose = fromFunction(createJoseVerifier(options), isJoseError);
      const hono = createHonoApi(options);
      verifiers.hono = fromHttp((token) => Promise.resolve(hono.request("/api/whoami", bearer(token))));
      express = await listenExpress(createExpressApi({ ...options, tokenSigningAlg: alg }));
      verifiers.express = fromHttp((token) => fetch(`${express.baseUrl}/api/whoami`, bearer(token)));
    });
    afterAll(async () => {
      await express?.close();
      await service?.cleanup();
    });

    for (const [name, label] of suites) {
      describeVerifier(label, () => ({ tokens, verify: verifiers[name]!, clientId: service.testApp.config.jwt.clientId }));
    }
  });
}

describeVerifiersOf("with the default Ed25519 key (EdDSA)", {
  alg: "EdDSA",
  env: async () => ({}),
  suites: [
    ["jose", "jose (createRemoteJWKSet + jwtVerify)"],
    ["hono", "hono/jwk in a Hono app"],
    ["express", "express-oauth2-jwt-bearer (strict) in an Express app"],
  ],
});

describeVerifiersOf("with an RSA key in JWT_PRIVATE_KEYS (RS256)", {
  alg: "RS256",
  env: async () => {
    const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
    return { JWT_PRIVATE_KEYS: JSON.stringify([{ ...(await exportJWK(privateKey)), kid: "rsa-test-1" }]) };
  },
  suites: [
    ["jsonwebtoken", "jsonwebtoken + jwks-rsa"],
    ["jose", "jose"],
    ["hono", "hono/jwk"],
    ["express", "express-oauth2-jwt-bearer (strict)"],
  ],
});
