import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningJwk } from "../../src/tokens/jwt.js";
import { createTestPostgres, createTestRedis, testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { startServer, type ServerProcess } from "../helpers/server-process.js";
import { PASSWORD } from "../helpers/flows.js";

/**
 * Scaling out: two real server processes behind an imagined load balancer, sharing one PostgreSQL
 * database and one Redis (and one signing key, as replicas of one Deployment do). A client whose
 * requests land on either instance sees one service: a refresh token rotates on the other instance,
 * a logout on one is refused by the other at once, and the per-IP rate limit counts across both.
 *
 * TRUST_PROXY=1 and a fresh X-Forwarded-For address per test keep the tests' rate-limit buckets
 * apart, as a load balancer in front of the replicas would report each client.
 */
const LOGIN_LIMIT = 3;

let peerCounter = 0;
/** A client address of its own (TEST-NET-2), so no two tests share a rate-limit bucket. */
function freshClient(): string {
  peerCounter++;
  return `198.51.100.${peerCounter}`;
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(base: string, method: string, path: string, options: { json?: unknown; token?: string; client: string }): Promise<Answer> {
  const headers: Record<string, string> = { "x-forwarded-for": options.client };
  if (options.json !== undefined) headers["content-type"] = "application/json";
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}${path}`, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

describe.runIf(Boolean(testDatabaseUrl && testRedisUrl))("two instances sharing one PostgreSQL and one Redis", () => {
  let a: ServerProcess;
  let b: ServerProcess;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const database = await createTestPostgres();
    cleanups.push(database.cleanup);
    const redis = await createTestRedis();
    cleanups.push(redis.cleanup);
    const env = {
      NODE_ENV: "development",
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      // One signing key for both, as every replica of a deployment gets the same Secret.
      JWT_PRIVATE_KEYS: JSON.stringify([await generateSigningJwk()]),
      TRUST_PROXY: "1",
      RATE_LIMIT_LOGIN: `${LOGIN_LIMIT}/1m`,
      RATE_LIMIT_REGISTER: "1000/1m",
      RATE_LIMIT_REFRESH: "1000/1m",
    };
    [a, b] = await Promise.all([startServer("node", env), startServer("node", env)]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop("SIGKILL"), b?.stop("SIGKILL")]);
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** Registers on A and logs in on `on`: a user and a session of their own, from `client`. */
  async function signedIn(on: () => ServerProcess, client: string) {
    const email = `scale-${crypto.randomUUID().slice(0, 12)}@example.com`;
    expect((await call(a.baseUrl, "POST", "/register", { json: { email, password: PASSWORD }, client })).status).toBe(201);
    const login = await call(on().baseUrl, "POST", "/login", { json: { email, password: PASSWORD }, client });
    expect(login.status).toBe(200);
    return { email, tokens: login.body as { access_token: string; refresh_token: string } };
  }

  it("runs as two separate processes", () => {
    expect(a.baseUrl).not.toBe(b.baseUrl);
    expect(a.output()).toContain('"listening"');
    expect(b.output()).toContain('"listening"');
  });

  it("rotates on B a refresh token issued by A, and the chain goes on across both", async () => {
    const client = freshClient();
    const { tokens } = await signedIn(() => a, client);
    // A's access token is good on B (shared key), and B's view of the user is A's.
    expect((await call(b.baseUrl, "GET", "/me", { token: tokens.access_token, client })).status).toBe(200);

    const first = await call(b.baseUrl, "POST", "/refresh", { json: { refresh_token: tokens.refresh_token }, client });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    // A retry of the same token on A within the grace window gets B's successor, not a new branch.
    const retried = await call(a.baseUrl, "POST", "/refresh", { json: { refresh_token: tokens.refresh_token }, client });
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(first.body.refresh_token);

    const second = await call(a.baseUrl, "POST", "/refresh", { json: { refresh_token: first.body.refresh_token }, client });
    expect(second.status).toBe(200);
    expect((await call(b.baseUrl, "GET", "/me", { token: second.body.access_token, client })).status).toBe(200);

    // The first token, two generations old, is reuse on B: the whole session ends, on A as well.
    expect((await call(b.baseUrl, "POST", "/refresh", { json: { refresh_token: tokens.refresh_token }, client })).status).toBe(401);
    expect((await call(a.baseUrl, "POST", "/refresh", { json: { refresh_token: second.body.refresh_token }, client })).status).toBe(401);
    expect((await call(a.baseUrl, "GET", "/me", { token: second.body.access_token, client })).status).toBe(401);
  });

  it("refuses on B, at once, the access token of a session logged out via A", async () => {
    const client = freshClient();
    const { tokens } = await signedIn(() => a, client);
    expect((await call(b.baseUrl, "GET", "/me", { token: tokens.access_token, client })).status).toBe(200);

    expect((await call(a.baseUrl, "POST", "/logout", { json: { refresh_token: tokens.refresh_token }, client })).status).toBe(204);
    // No waiting: the very next request to the other instance is refused.
    const after = await call(b.baseUrl, "GET", "/me", { token: tokens.access_token, client });
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    expect((await call(b.baseUrl, "POST", "/refresh", { json: { refresh_token: tokens.refresh_token }, client })).status).toBe(401);
  });

  it("ends on A the sessions made on A when the user logs out everywhere via B", async () => {
    const client = freshClient();
    const { email, tokens: onA } = await signedIn(() => a, client);
    const onB = (await call(b.baseUrl, "POST", "/login", { json: { email, password: PASSWORD }, client })).body as typeof onA;
    const sessions = await call(a.baseUrl, "GET", "/sessions", { token: onA.access_token, client });
    expect(sessions.body).toHaveLength(2);

    expect((await call(b.baseUrl, "POST", "/logout", { json: { refresh_token: onB.refresh_token, scope: "all" }, client })).status).toBe(204);
    expect((await call(a.baseUrl, "GET", "/me", { token: onA.access_token, client })).status).toBe(401);
    expect((await call(a.baseUrl, "POST", "/refresh", { json: { refresh_token: onA.refresh_token }, client })).status).toBe(401);
  });

  it(`shares the login rate limit: ${LOGIN_LIMIT} logins split across A and B, then 429 on either`, async () => {
    const client = freshClient();
    const email = `limit-${crypto.randomUUID().slice(0, 12)}@example.com`;
    expect((await call(a.baseUrl, "POST", "/register", { json: { email, password: PASSWORD }, client })).status).toBe(201);
    const login = (server: ServerProcess) => call(server.baseUrl, "POST", "/login", { json: { email, password: PASSWORD }, client });

    // A, B, A: each instance alone has seen fewer than the limit; together they have seen all of it.
    for (const server of [a, b, a]) expect((await login(server)).status).toBe(200);
    const refusedOnB = await login(b);
    expect(refusedOnB.status).toBe(429);
    expect(Number(refusedOnB.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refusedOnB.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await login(a)).status).toBe(429);

    // The count is per client: another address still logs in, on either instance.
    const other = freshClient();
    expect((await call(b.baseUrl, "POST", "/login", { json: { email, password: PASSWORD }, client: other })).status).toBe(200);
  });
});
