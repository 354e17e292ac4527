import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { createApp } from "../../src/app.js";
import { createArgon2idHasher, type PasswordHasher } from "../../src/password/hasher.js";
import { createMetricsApp } from "../../src/observability/metrics.js";
import { flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, FAST_ARGON2_PARAMS, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";
import { expectSamples, sample } from "./support.js";

async function scrape(client: TestClient, token?: string): Promise<string> {
  const response = await client.request("GET", "/metrics", token ? { token } : {});
  expect(response.status, response.text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text;
}

describe("GET /metrics after a few requests", () => {
  let testApp: TestApp;
  let client: TestClient;
  let text: string;
  let sessionId: string;

  beforeAll(async () => {
    // A hasher that also reports a queue, as the worker pool does.
    const real = createArgon2idHasher(FAST_ARGON2_PARAMS);
    const hasher: PasswordHasher = { ...real, queueDepth: () => 3 };
    testApp = await createTestApp({ hasher, env: { REFRESH_REUSE_GRACE_SECONDS: "10" } });
    client = inProcessClient(testApp.app);
    const { register, login, refresh } = flows(() => client);

    const email = uniqueEmail("metrics");
    await register(email);
    const tokens = await login(email);
    expect((await client.request("POST", "/login", { json: { email, password: "not the password" } })).status).toBe(401);
    expect((await client.request("POST", "/login", { json: { email: uniqueEmail("nobody"), password: PASSWORD } })).status).toBe(401);

    expect((await refresh(tokens.refresh_token)).status).toBe(200); // rotated
    expect((await refresh(tokens.refresh_token)).status).toBe(200); // replayed within the grace window
    testApp.clock.advance(60);
    expect((await refresh(tokens.refresh_token)).status).toBe(401); // reused: the session is revoked
    expect((await refresh("not-a-refresh-token")).status).toBe(401); // invalid

    // A parameterised route and an unknown path: neither raw path may become a label.
    const fresh = await login(email);
    const sessions = await client.request("GET", "/sessions", { token: fresh.access_token });
    sessionId = (sessions.body as Array<{ id: string }>)[0]!.id;
    expect((await client.request("DELETE", `/sessions/${sessionId}`, { token: fresh.access_token })).status).toBe(204);
    expect((await client.request("GET", "/no/such/path-4711")).status).toBe(404);

    text = await scrape(client);
  });

  afterAll(async () => {
    await testApp?.cleanup();
  });

  it("counts requests by method, route pattern and status, and times them", () => {
    expectSamples(text, {
      'http_requests_total{method="POST",route="/login",status="200"}': 2,
      'http_requests_total{method="POST",route="/login",status="401"}': 2,
      'http_requests_total{method="POST",route="/register",status="201"}': 1,
      'http_requests_total{method="POST",route="/refresh",status="200"}': 2,
      'http_requests_total{method="POST",route="/refresh",status="401"}': 2,
      'http_request_duration_seconds_count{method="POST",route="/login",status="200"}': 2,
      'http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/login",status="401"}': 2,
    });
  });

  it("labels a parameterised route by its pattern, never by the raw path", () => {
    expect(sample(text, 'http_requests_total{method="DELETE",route="/sessions/:id",status="204"}')).toBe(1);
    expect(text).not.toContain(sessionId);
    expect(text).not.toContain("path-4711");
  });

  it("counts login successes and failures by reason", () => {
    expect(sample(text, 'auth_logins_total{outcome="success"}')).toBe(2);
    // A wrong password and an unknown address count under one reason: no label tells them apart.
    expect(sample(text, 'auth_logins_total{outcome="failure",reason="invalid_credentials"}')).toBe(2);
    expect(text).not.toMatch(/reason="(unknown_email|wrong_password)"/);
  });

  it("counts refreshes by outcome and reuse detections", () => {
    expectSamples(text, {
      'auth_refreshes_total{outcome="rotated"}': 1,
      'auth_refreshes_total{outcome="replayed"}': 1,
      'auth_refreshes_total{outcome="reused"}': 1,
      'auth_refreshes_total{outcome="invalid"}': 1,
      "auth_refresh_token_reuse_detected_total": 1,
    });
  });

  it("times Argon2 by operation", () => {
    // register: 1 hash; logins: 3 verifications against stored hashes, and the unknown email's
    // dummy hash (1 hash) and its verification.
    expectSamples(text, {
      'auth_password_hash_duration_seconds_count{operation="hash",outcome="ok"}': 2,
      'auth_password_hash_duration_seconds_count{operation="verify",outcome="ok"}': 4,
    });
  });

  it("reports dependency health and the hasher's queue at scrape time", () => {
    expect(sample(text, 'auth_dependency_up{dependency="database"}')).toBe(1);
    // The production wiring's names (src/compose.ts): on the embedded backend, only the database.
    expect([...text.matchAll(/auth_dependency_up\{dependency="([^"]+)"\}/g)].map((match) => match[1])).toEqual(["database"]);
    expect(sample(text, "auth_password_hasher_queue_depth")).toBe(3);
  });

  it("reports a dependency that fails or hangs as down, within the scrape", async () => {
    testApp.deps.readinessChecks.push(
      { name: "failing", check: () => Promise.reject(new Error("connection refused")) },
      { name: "hanging", check: () => new Promise<void>(() => {}) },
    );
    try {
      // A scrape that waited on the hanging check would never answer (the test's timeout).
      const later = await scrape(client);
      expect(sample(later, 'auth_dependency_up{dependency="failing"}')).toBe(0);
      expect(sample(later, 'auth_dependency_up{dependency="hanging"}')).toBe(0);
      expect(sample(later, 'auth_dependency_up{dependency="database"}')).toBe(1);
    } finally {
      testApp.deps.readinessChecks.splice(-2);
    }
  });

  it("keeps each app's counters to itself", async () => {
    // A second app over the very same dependencies: a registry of its own, counts of its own.
    const other = inProcessClient(createApp(testApp.deps));
    const otherText = await scrape(other);
    expect(sample(otherText, 'auth_logins_total{outcome="success"}')).toBeUndefined();
    expect(sample(otherText, 'http_requests_total{method="POST",route="/login",status="200"}')).toBeUndefined();
    expect(sample(await scrape(client), 'auth_logins_total{outcome="success"}')).toBe(2);
  });

  it("with METRICS_PORT, leaves /metrics off the main app and out of /doc", async () => {
    const config = { ...testApp.deps.config, metrics: { token: undefined, port: 9464 } };
    const separate = inProcessClient(createApp({ ...testApp.deps, config }));
    expect((await separate.request("GET", "/metrics")).status).toBe(404);
    expect((await separate.request("GET", "/doc")).body.paths["/metrics"]).toBeUndefined();
    expect((await client.request("GET", "/doc")).body.paths["/metrics"].get.security).toEqual([]);
  });
});

describe("an app with METRICS_TOKEN and tight rate limits", () => {
  const TOKEN = "a-metrics-token-of-some-length";
  let testApp: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    testApp = await createTestApp({ env: { METRICS_TOKEN: TOKEN, RATE_LIMIT_LOGIN: "3/1m", LOGIN_THROTTLE: "1/15m", RATE_LIMIT_REGISTER: "1/1h" } });
    client = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  it("refuses a scrape without the token with a 401 problem and a Bearer challenge", async () => {
    const response = await client.request("GET", "/metrics");
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(response.text).not.toContain("http_requests_total");
  });

  it("refuses a wrong token, and the right token's prefix or extension", async () => {
    for (const token of ["wrong-token-of-a-similar-length", TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const response = await client.request("GET", "/metrics", { token });
      expect(response.status, token).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
    const basic = await client.request("GET", "/metrics", { headers: { authorization: `Basic ${btoa(`x:${TOKEN}`)}` } });
    expect(basic.status).toBe(401);
  });

  it("serves the metrics with the token", async () => {
    expect(await scrape(client, TOKEN)).toContain("# TYPE http_requests_total counter");
  });

  it("documents /metrics and its bearer scheme in /doc", async () => {
    const doc = (await client.request("GET", "/doc")).body;
    expect(doc.paths["/metrics"].get.security).toEqual([{ metricsBearer: [] }]);
    expect(doc.paths["/metrics"].get.responses["401"]).toBeDefined();
    expect(doc.components.securitySchemes.metricsBearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("counts rate-limit rejections by route and limiter: per IP and per account", async () => {
    const { register } = flows(() => client);
    const email = uniqueEmail("limited");
    await register(email);
    expect((await client.request("POST", "/register", { json: { email: uniqueEmail(), password: PASSWORD } })).status).toBe(429);
    const wrong = () => client.request("POST", "/login", { json: { email, password: "not the password" } });
    expect((await wrong()).status).toBe(401); // the account's one allowed failure
    expect((await wrong()).status).toBe(429); // the account is locked
    expect((await wrong()).status).toBe(429); // still locked (third request from this address)
    expect((await wrong()).status).toBe(429); // this address is over its 3 per minute

    const text = await scrape(client, TOKEN);
    expectSamples(text, {
      'auth_rate_limit_rejections_total{route="/register",limiter="register"}': 1,
      'auth_rate_limit_rejections_total{route="/login",limiter="login-account"}': 2,
      'auth_rate_limit_rejections_total{route="/login",limiter="login"}': 1,
      'http_requests_total{method="POST",route="/login",status="429"}': 3,
    });
  });
});

describe("the METRICS_PORT listener's app", () => {
  it("serves /metrics alone, behind the same guard", async () => {
    const app = createMetricsApp({ registry: new Registry(), token: "another-metrics-token", issuer: "https://auth.test" });
    expect((await app.request("/metrics")).status).toBe(401);
    const ok = await app.request("/metrics", { headers: { authorization: "Bearer another-metrics-token" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    const elsewhere = await app.request("/login", { method: "POST" });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    // Its problems point to the pages of the main port's public URL, like the main app's.
    expect(await elsewhere.json()).toMatchObject({ type: "https://auth.test/problems/not-found", code: "NOT_FOUND" });
  });
});
