import { request as httpRequest, Agent } from "node:http";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPostgres, createTestRedis, testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { startServer, type Runtime, type ServerProcess } from "../helpers/server-process.js";
import { PASSWORD } from "../helpers/flows.js";

/**
 * The real service, started the way a container starts it (the built entrypoint, directly), on
 * each runtime, with the real Argon2id worker pool: PostgreSQL and Redis when the TEST_* variables
 * are set, the embedded PGlite otherwise.
 */
const backend = testDatabaseUrl && testRedisUrl ? "PostgreSQL + Redis" : "embedded PGlite";

async function post(base: string, path: string, body: unknown) {
  const response = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

/** Two requests on one keep-alive socket (maxSockets 1): the first is an oversized body. */
function oversizedThenNormal(base: string): Promise<[number, number]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(base);
  const send = (path: string, method: string, body?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path, method, agent, headers: body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {} }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      if (body) req.write(body);
      req.end();
    });
  const big = JSON.stringify({ email: "big@example.com", password: "x".repeat(200_000) });
  return Promise.all([send("/register", "POST", big), send("/healthz", "GET")]).finally(() => agent.destroy()) as Promise<[number, number]>;
}

describe.each<Runtime>(["node", "bun"])("the service as a process on %s (" + backend + ")", (runtime) => {
  let server: ServerProcess;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    // Limits well above this file's traffic (20 registrations at once from one address), but still
    // in the path of every request, in Redis when it is configured.
    const env: Record<string, string> = { NODE_ENV: "development", RATE_LIMIT_REGISTER: "1000/1m", RATE_LIMIT_LOGIN: "1000/1m", RATE_LIMIT_REFRESH: "1000/1m",
      // The races below come from one address; the hasher's per-client fairness cap (tested in
      // test/security/password-flood.security.test.ts) would turn most of them into fast 503s.
      PASSWORD_HASH_MAX_PER_CLIENT: "64" };
    if (testDatabaseUrl && testRedisUrl) {
      const database = await createTestPostgres();
      const redis = await createTestRedis();
      cleanups.push(database.cleanup, redis.cleanup);
      Object.assign(env, { DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix });
    }
    server = await startServer(runtime, env);
  });

  afterAll(async () => {
    await server?.stop("SIGKILL");
    for (const cleanup of cleanups) await cleanup();
  });

  it("registers, logs in, reads /me, refreshes, retries within grace, logs out", async () => {
    const base = server.baseUrl;
    const email = `e2e-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await post(base, "/register", { email, password: PASSWORD })).status).toBe(201);
    const login = await post(base, "/login", { email, password: PASSWORD });
    expect(login.status).toBe(200);
    const me = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${login.body.access_token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(email);

    const refreshed = await post(base, "/refresh", { refresh_token: login.body.refresh_token });
    expect(refreshed.status).toBe(200);
    const retried = await post(base, "/refresh", { refresh_token: login.body.refresh_token });
    expect(retried.body.refresh_token).toBe(refreshed.body.refresh_token);

    expect((await post(base, "/logout", { refresh_token: refreshed.body.refresh_token })).status).toBe(204);
    const after = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${refreshed.body.access_token}` } });
    expect(after.status).toBe(401);
    expect((await post(base, "/login", { email, password: "wrong password" })).status).toBe(401);
  });

  it("issues access tokens that another service verifies offline with the published JWKS", async () => {
    const email = `jwks-${crypto.randomUUID().slice(0, 8)}@example.com`;
    await post(server.baseUrl, "/register", { email, password: PASSWORD });
    const login = await post(server.baseUrl, "/login", { email, password: PASSWORD });
    const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(login.body.access_token, jwks, {
      // The default issuer is http://localhost:PORT, and these servers start with PORT=0.
      issuer: "http://localhost:0",
      audience: "auth-service",
      typ: "at+jwt",
    });
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload.roles).toEqual(["user"]);
  });

  it("of 20 concurrent registrations of one address exactly one succeeds, none is a 5xx", async () => {
    const email = `race-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const statuses = await Promise.all(Array.from({ length: 20 }, () => post(server.baseUrl, "/register", { email, password: PASSWORD }).then((r) => r.status)));
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
  });

  it("answers 10 concurrent refreshes of one token with one successor", async () => {
    const email = `refresh-${crypto.randomUUID().slice(0, 8)}@example.com`;
    await post(server.baseUrl, "/register", { email, password: PASSWORD });
    const login = await post(server.baseUrl, "/login", { email, password: PASSWORD });
    const results = await Promise.all(Array.from({ length: 10 }, () => post(server.baseUrl, "/refresh", { refresh_token: login.body.refresh_token })));
    expect(results.map((result) => result.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((result) => result.body.refresh_token)).size).toBe(1);
  });

  it("answers an oversized body with 413 and the keep-alive client's next request still succeeds", async () => {
    const [first, second] = await oversizedThenNormal(server.baseUrl);
    expect(first).toBe(413);
    expect(second).toBe(200);
  });

  it("logs no password or token during all of this", () => {
    const output = server.output();
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    expect(output).toContain('"route":"/login"');
  });

  it("shuts down gracefully on SIGTERM: an in-flight login completes, then the process exits 0", async () => {
    const email = `bye-${crypto.randomUUID().slice(0, 8)}@example.com`;
    await post(server.baseUrl, "/register", { email, password: PASSWORD });
    const inFlight = post(server.baseUrl, "/login", { email, password: PASSWORD });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const exitCode = server.stop("SIGTERM");
    expect((await inFlight).status).toBe(200);
    expect(await exitCode).toBe(0);
    expect(server.output()).toContain('"stopped"');
  });
});
