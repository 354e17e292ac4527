import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createTestApp, httpClient, inProcessClient, type TestApp, type TestClient, type TestResponse } from "../helpers/test-app.js";
import { expectProblem, PASSWORD, uniqueEmail } from "./support.js";

/**
 * Request hygiene on every route: body limit (413 + Connection: close), JSON only (415), secure
 * headers and X-Request-Id on every answer (errors included), CORS off unless CORS_ORIGINS.
 * The routes that take a body are read from the OpenAPI document, so routes added later are covered.
 */
interface Operation {
  method: string;
  path: string;
  hasBody: boolean;
  needsToken: boolean;
}

async function operationsOf(client: TestClient): Promise<Operation[]> {
  const doc = (await client.request("GET", "/doc")).body as {
    paths: Record<string, Record<string, { requestBody?: unknown; security?: unknown[] }>>;
  };
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    // Path parameters get a well-formed id that names nothing.
    const path = template.replace(/\{[^}]+\}/g, "0190a5b4-0000-7000-8000-000000000000");
    for (const [method, operation] of Object.entries(methods)) {
      operations.push({ method: method.toUpperCase(), path, hasBody: Boolean(operation.requestBody), needsToken: Boolean(operation.security?.length) });
    }
  }
  return operations;
}

/** One embedded database for the whole file; the CORS instance is another app over it. */
let shared: Promise<TestApp> | undefined;
const sharedApp = () => (shared ??= createTestApp());
afterAll(async () => {
  if (shared) await (await shared).cleanup();
});

describe("request hygiene", () => {
  let testApp: TestApp;
  let client: TestClient;
  let operations: Operation[];
  let token: string;
  beforeAll(async () => {
    testApp = await sharedApp();
    client = inProcessClient(testApp.app);
    operations = await operationsOf(client);
    const email = uniqueEmail("hygiene");
    await client.request("POST", "/register", { json: { email, password: PASSWORD } });
    token = (await client.request("POST", "/login", { json: { email, password: PASSWORD } })).body.access_token;
  });

  it("knows the routes that take a body (at least those of the original design)", () => {
    const withBody = operations.filter((operation) => operation.hasBody).map((operation) => `${operation.method} ${operation.path}`);
    expect(withBody).toEqual(expect.arrayContaining(["POST /register", "POST /login", "POST /refresh", "POST /logout"]));
  });

  it("answers a body over BODY_LIMIT_BYTES with a 413 problem and Connection: close, on every route that takes one", async () => {
    const huge = JSON.stringify({ email: "a@example.com", password: "x".repeat(testApp.config.http.bodyLimitBytes) });
    for (const operation of operations.filter((candidate) => candidate.hasBody)) {
      const response = await client.request(operation.method, operation.path, { body: huge, headers: { "content-type": "application/json" }, token });
      expectProblem(response, 413, "PAYLOAD_TOO_LARGE");
      expect(response.headers.get("connection"), `${operation.method} ${operation.path}`).toBe("close");
    }
  });

  it("counts a body sent without Content-Length (streamed) against the limit too", async () => {
    const chunk = new TextEncoder().encode("x".repeat(4096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ > 10) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const response = await testApp.app.request("/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toMatch(/problem\+json/);
  });

  it("accepts only JSON: any other media type, or none, is a 415 (or 400) problem on every route that takes a body", async () => {
    const cases: Array<Record<string, string>> = [
      { "content-type": "text/plain" },
      { "content-type": "application/x-www-form-urlencoded" },
      { "content-type": "multipart/form-data; boundary=x" },
      { "content-type": "application/xml" },
      {},
    ];
    // The OAuth endpoints take forms (RFC 6749 §3.2), not JSON; their own tests cover them.
    for (const operation of operations.filter((candidate) => candidate.hasBody && !candidate.path.startsWith("/oauth/"))) {
      for (const headers of cases) {
        const response = await client.request(operation.method, operation.path, { body: '{"email":"a@example.com"}', headers, token });
        const label = `${operation.method} ${operation.path} ${headers["content-type"] ?? "(none)"}`;
        // Admin routes refuse a plain user's token before they look at the body.
        if (operation.path.startsWith("/admin")) expect([403, 415, 400], label).toContain(response.status);
        else expect([415, 400], label).toContain(response.status);
        expect(response.headers.get("content-type"), label).toMatch(/^application\/problem\+json/);
      }
    }
    expectProblem(await client.request("POST", "/login", { body: '{"email":"a@example.com","password":"x"}', headers: { "content-type": "text/plain" } }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("accepts JSON with a charset parameter", async () => {
    const response = await client.request("POST", "/login", {
      body: JSON.stringify({ email: uniqueEmail("nobody"), password: PASSWORD }),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expectProblem(response, 401, "INVALID_CREDENTIALS");
  });

  describe("X-Request-Id and secure headers on every answer", () => {
    async function answers(): Promise<Array<[string, TestResponse]>> {
      return [
        ["200 /healthz", await client.request("GET", "/healthz")],
        ["204 /logout", await client.request("POST", "/logout", { json: { refresh_token: "nothing" } })],
        ["400 bad JSON", await client.request("POST", "/login", { body: "{", headers: { "content-type": "application/json" } })],
        ["401 /me", await client.request("GET", "/me")],
        ["404", await client.request("GET", "/no/such/thing")],
        ["413", await client.request("POST", "/login", { body: "x".repeat(20_000), headers: { "content-type": "application/json" } })],
        ["415", await client.request("POST", "/login", { body: "x", headers: { "content-type": "text/plain" } })],
        ["405-ish", await client.request("PUT", "/login", { json: {} })],
      ];
    }

    it("carries a fresh X-Request-Id (a UUID) when the client sends none", async () => {
      for (const [label, response] of await answers()) {
        expect(response.headers.get("x-request-id"), label).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        if (response.status >= 400) expect(response.body.request_id, label).toBe(response.headers.get("x-request-id"));
      }
    });

    it("keeps a sane incoming X-Request-Id, on errors too, and replaces anything else", async () => {
      const kept = await client.request("GET", "/me", { headers: { "x-request-id": "trace-0042_AbC=" } });
      expect(kept.headers.get("x-request-id")).toBe("trace-0042_AbC=");
      expect(kept.body.request_id).toBe("trace-0042_AbC=");
      for (const insane of ["<script>alert(1)</script>", "a".repeat(129), "has space", "semi;colon", "quote\"d", "\u00e9t\u00e9"]) {
        const response = await client.request("GET", "/me", { headers: { "x-request-id": insane } });
        expect(response.headers.get("x-request-id"), insane).toMatch(/^[0-9a-f-]{36}$/);
        expect(response.text).not.toContain(insane);
      }
    });

    it("sends nosniff, frame and referrer protection, and no X-Powered-By", async () => {
      for (const [label, response] of await answers()) {
        expect(response.headers.get("x-content-type-options"), label).toBe("nosniff");
        expect(response.headers.get("x-frame-options"), label).toBe("SAMEORIGIN");
        expect(response.headers.get("referrer-policy"), label).toBe("no-referrer");
        expect(response.headers.get("cross-origin-resource-policy"), label).toBe("same-origin");
        expect(response.headers.get("x-powered-by"), label).toBeNull();
      }
    });
  });

  it("without CORS_ORIGINS, CORS is off: no Access-Control-* header for any origin, preflight or not", async () => {
    const origin = "https://app.example";
    const preflight = await client.request("OPTIONS", "/login", {
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.headers.get("access-control-allow-methods")).toBeNull();
    const simple = await client.request("POST", "/login", { json: { email: uniqueEmail(), password: PASSWORD }, headers: { origin } });
    expect(simple.headers.get("access-control-allow-origin")).toBeNull();
    expect([...simple.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });
});

describe("CORS with CORS_ORIGINS, over a real HTTP server", () => {
  let client: TestClient;
  const allowed = "https://app.example";
  beforeAll(async () => {
    const base = await sharedApp();
    // An instance as CORS_ORIGINS configures it.
    const { corsOrigins } = loadConfig({ CORS_ORIGINS: `${allowed}, https://admin.example` }).http;
    client = await httpClient(createApp({ ...base.deps, config: { ...base.deps.config, http: { ...base.deps.config.http, corsOrigins } } }));
  });
  afterAll(async () => {
    await client?.close();
  });

  it("answers a preflight from a listed origin with exactly that origin, the allowed headers and a max age", async () => {
    const preflight = await client.request("OPTIONS", "/login", {
      headers: { origin: allowed, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(allowed);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/content-type/);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    expect(preflight.headers.get("access-control-max-age")).toBe("600");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    expect(preflight.headers.get("vary")).toMatch(/origin/i);
  });

  it("lets a listed origin read answers, problems included, and the headers a client needs (request id, rate limits)", async () => {
    const problem = await client.request("POST", "/login", { json: { email: uniqueEmail(), password: PASSWORD }, headers: { origin: allowed } });
    expect(problem.status).toBe(401);
    expect(problem.headers.get("access-control-allow-origin")).toBe(allowed);
    const exposed = (problem.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(["x-request-id", "retry-after", "ratelimit", "ratelimit-policy"]));
  });

  it("never allows an origin that is not listed, nor a wildcard, nor a look-alike", async () => {
    for (const origin of ["https://evil.example", "https://app.example.evil.example", "http://app.example", "null", "https://APP.example"]) {
      const preflight = await client.request("OPTIONS", "/login", { headers: { origin, "access-control-request-method": "POST" } });
      expect(preflight.headers.get("access-control-allow-origin"), origin).toBeNull();
      const simple = await client.request("GET", "/healthz", { headers: { origin } });
      expect(simple.headers.get("access-control-allow-origin"), origin).toBeNull();
    }
  });
});
