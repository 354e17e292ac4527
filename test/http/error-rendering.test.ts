import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTPException } from "hono/http-exception";
import { ProblemError } from "../../src/http/problem.js";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";

/**
 * Errors are answered through the context (renderProblem), so whatever was prepared on it before
 * the error (by a middleware or by the handler itself) stays on the answer.
 */
describe("errors keep the headers prepared before them", () => {
  let testApp: TestApp;
  let client: TestClient;

  beforeAll(async () => {
    testApp = await createTestApp({ env: { RATE_LIMIT_LOGIN: "50/10m" } });
    // Routes of this test only, added before the first request builds the router.
    testApp.app.get("/test/prepared-then-problem", (c) => {
      c.header("x-prepared", "kept");
      throw new ProblemError("CONFLICT", { headers: { "retry-after": "7" } });
    });
    testApp.app.get("/test/prepared-then-bug", (c) => {
      c.header("x-prepared", "kept");
      throw new Error("a bug with a secret in its message: hunter2");
    });
    // Hono's own 401s: a middleware's bare HTTPException, and one with its own challenge (as hono/bearer-auth throws).
    testApp.app.get("/test/hono-401", () => {
      throw new HTTPException(401, { message: "no" });
    });
    testApp.app.get("/test/hono-401-with-challenge", () => {
      throw new HTTPException(401, { res: new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="elsewhere"' } }) });
    });
    testApp.app.get("/test/hono-503", () => {
      throw new HTTPException(503, { message: "down" });
    });
    client = inProcessClient(testApp.app);
  });
  afterAll(() => testApp.cleanup());

  it("a header set by the handler survives the problem it throws, beside the problem's own", async () => {
    const response = await client.request("GET", "/test/prepared-then-problem", { headers: { "x-request-id": "req-problem-1" } });
    expect(response.status).toBe(409);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("x-prepared")).toBe("kept");
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("x-request-id")).toBe("req-problem-1");
    expect(response.body).toMatchObject({ code: "CONFLICT", status: 409, request_id: "req-problem-1" });
  });

  it("a header set before an unexpected error survives its fixed 500, which tells nothing of the error", async () => {
    const response = await client.request("GET", "/test/prepared-then-bug", { headers: { "x-request-id": "req-bug-1" } });
    expect(response.status).toBe(500);
    expect(response.headers.get("x-prepared")).toBe("kept");
    expect(response.headers.get("x-request-id")).toBe("req-bug-1");
    expect(response.text).not.toContain("hunter2");
    expect(response.body).toMatchObject({ code: "INTERNAL_ERROR" });
  });

  it("X-Request-Id stays on a 404, a 400 and a 401, as the middleware set it", async () => {
    const notFound = await client.request("GET", "/no/such/route", { headers: { "x-request-id": "req-404" } });
    const invalid = await client.request("POST", "/register", { json: { email: "nope" }, headers: { "x-request-id": "req-400" } });
    const unauthorised = await client.request("GET", "/me", { headers: { "x-request-id": "req-401" } });
    expect([notFound.status, invalid.status, unauthorised.status]).toEqual([404, 400, 401]);
    expect(notFound.headers.get("x-request-id")).toBe("req-404");
    expect(invalid.headers.get("x-request-id")).toBe("req-400");
    expect(unauthorised.headers.get("x-request-id")).toBe("req-401");
  });

  it("the per-IP limiter's RateLimit headers, set before the handler, stay on a failed login's 401", async () => {
    const email = uniqueEmail("render");
    expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
    const response = await client.request("POST", "/login", { json: { email, password: "not the password at all" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("ratelimit-policy")).toContain('"login";q=50;w=600');
    expect(response.headers.get("ratelimit")).toMatch(/"login";r=\d+;t=\d+/);
  });

  it("every 401 carries a WWW-Authenticate challenge: a failed login, a bad refresh token, a bad access token", async () => {
    const login = await client.request("POST", "/login", { json: { email: uniqueEmail("nobody"), password: PASSWORD } });
    const refresh = await client.request("POST", "/refresh", { json: { refresh_token: "not-a-refresh-token-at-all-0123456789abcdef" } });
    const me = await client.request("GET", "/me", { token: "not.a.token" });
    expect([login.status, refresh.status, me.status]).toEqual([401, 401, 401]);
    expect(login.headers.get("www-authenticate")).toBe('Bearer realm="auth-service"');
    expect(refresh.headers.get("www-authenticate")).toBe('Bearer realm="auth-service"');
    expect(me.headers.get("www-authenticate")).toBe('Bearer realm="auth-service", error="invalid_token"');
  });

  it("a Hono HTTPException 401 carries a challenge too: its own when it has one, else the plain Bearer one", async () => {
    const bare = await client.request("GET", "/test/hono-401");
    expect(bare.status).toBe(401);
    expect(bare.headers.get("www-authenticate")).toBe('Bearer realm="auth-service"');
    expect(bare.body).toMatchObject({ code: "INVALID_TOKEN" });
    const withToken = await client.request("GET", "/test/hono-401", { token: "some-token" });
    expect(withToken.headers.get("www-authenticate")).toBe('Bearer realm="auth-service", error="invalid_token"');
    const own = await client.request("GET", "/test/hono-401-with-challenge");
    expect(own.status).toBe(401);
    expect(own.headers.get("www-authenticate")).toBe('Bearer realm="elsewhere"');
  });

  it("a Hono HTTPException 503 carries Retry-After, like every 503", async () => {
    const response = await client.request("GET", "/test/hono-503");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect(response.body).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    expect(response.text).not.toContain("down");
  });
});
