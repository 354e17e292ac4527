import { spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.js";
import { canRunPrivatePostgres, createPrivatePostgres, type PrivatePostgres } from "../helpers/postgres-server.js";
import { createPrivateRedis, type PrivateRedis } from "../helpers/redis-server.js";
import { jsonCalls, startRuntimeApp, type RuntimeApp } from "../helpers/runtime-app.js";
import type { TestResponse } from "../helpers/test-app.js";
import { PASSWORD, scanAll, uniqueEmail } from "./support.js";

/**
 * Dependencies that really stop and start again, each a private server on its own port (the
 * shared ones stay untouched): PostgreSQL stopped with pg_ctl (test/outage.test.ts cuts it behind a
 * TCP proxy instead), and Redis killed under the rate limiter and the login throttle, whose failure
 * modes differ per route. The app is built by the real bootstrap, so these are the production
 * client settings.
 */

/** A route that waited on the dead dependency instead would hang until the test's timeout. */
function expectUnavailable(answer: TestResponse): void {
  expect(answer.status).toBe(503);
  expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(answer.body.code).toBe("SERVICE_UNAVAILABLE");
  expect(answer.headers.get("retry-after")).toMatch(/^\d+$/);
  expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|CONNECTION|Connection is closed|57P0|postgres|redis/i);
}

/** One private PostgreSQL for the file (initdb costs a second): stopped by the first suite, used by the second. */
let sharedPostgres: Promise<PrivatePostgres> | undefined;
const privatePostgres = () => (sharedPostgres ??= createPrivatePostgres());
afterAll(async () => {
  if (sharedPostgres) await (await sharedPostgres).destroy();
});

describe.runIf(canRunPrivatePostgres())("PostgreSQL really stopped and started (a private server)", () => {
  let postgres: PrivatePostgres;
  let server: RuntimeApp;
  const { post, get } = jsonCalls(() => server.app);

  beforeAll(async () => {
    postgres = await privatePostgres();
    // Sessions in SQL (no Redis): everything this test does needs the database.
    server = await startRuntimeApp({ DATABASE_URL: postgres.url, RATE_LIMIT_LOGIN: "1000/1m" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers 503 within seconds while it is down, names it in /readyz, and recovers without a restart", async () => {
    const email = uniqueEmail("pg-stop");
    expect((await post("/register", { email, password: PASSWORD })).status).toBe(201);
    const login = await post("/login", { email, password: PASSWORD });
    expect(login.status).toBe(200);

    await postgres.stop("fast");

    expectUnavailable(await post("/login", { email, password: PASSWORD }));
    expectUnavailable(await get("/me", login.body.access_token));
    expectUnavailable(await post("/refresh", { refresh_token: login.body.refresh_token }));
    expectUnavailable(await post("/register", { email: uniqueEmail("pg-stop"), password: PASSWORD }));
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database).toBe("unavailable");
    expect((await get("/healthz")).status).toBe(200);
    // More failed attempts than LOGIN_THROTTLE allows (5): none tested a password, so none counts.
    for (let i = 0; i < 6; i++) expect((await post("/login", { email, password: PASSWORD })).status).toBe(503);

    await postgres.start();

    const readyAgain = await eventually(() => get("/readyz"), (answer) => answer.status === 200);
    expect(readyAgain.status).toBe(200);
    const back = await eventually(() => post("/login", { email, password: PASSWORD }), (answer) => answer.status === 200, 10_000);
    expect(back.status).toBe(200);
    // The data survived the restart: the session from before the outage still works.
    expect((await get("/me", login.body.access_token)).status).toBe(200);
    expect((await post("/refresh", { refresh_token: login.body.refresh_token })).status).toBe(200);
  });

  it("survives a crash (immediate stop) the same way", async () => {
    const email = uniqueEmail("pg-crash");
    expect((await post("/register", { email, password: PASSWORD })).status).toBe(201);
    await postgres.stop("immediate");
    expectUnavailable(await post("/login", { email, password: PASSWORD }));
    await postgres.start();
    const back = await eventually(() => post("/login", { email, password: PASSWORD }), (answer) => answer.status === 200);
    expect(back.status).toBe(200);
  });
});

const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;

describe.runIf(hasRedisServer)("Redis down under the rate limiter and the login throttle (a private Redis)", () => {
  let redis: PrivateRedis;
  let server: RuntimeApp;
  const { post, get } = jsonCalls(() => server.app);

  beforeAll(async () => {
    redis = await createPrivateRedis();
    // A database that stays up (the private PostgreSQL, else the embedded one), so only Redis goes away.
    const database: Record<string, string> = canRunPrivatePostgres() ? { DATABASE_URL: (await privatePostgres()).url } : {};
    server = await startRuntimeApp({ ...database, REDIS_URL: redis.url, RATE_LIMIT_REGISTER: "3/1m", RATE_LIMIT_LOGIN: "3/1m", RATE_LIMIT_REFRESH: "3/1m" });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  it("counts in Redis while it is up: the counters are keys under REDIS_KEY_PREFIX", async () => {
    const email = uniqueEmail("redis-up");
    expect((await post("/register", { email, password: PASSWORD })).status).toBe(201);
    expect((await post("/login", { email, password: "wrong password" })).status).toBe(401);
    const inspector = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const keys = (await scanAll(inspector, "auth:*")).sort();
      expect(keys).toEqual(expect.arrayContaining(["auth:rate-limit:register:unknown", "auth:rate-limit:login:unknown"]));
      expect(keys.some((key) => key.startsWith("auth:login-throttle:"))).toBe(true);
      expect(await inspector.get("auth:rate-limit:register:unknown")).toBe("1");
    } finally {
      inspector.disconnect();
    }
  });

  it("Redis down: /register fails open to an in-process count, /login fails closed (503), /refresh is never a 500", async () => {
    const email = uniqueEmail("redis-down");
    await redis.stop();

    // Register needs only the database: it goes on, limited per process meanwhile (3 per minute).
    const registrations = [];
    for (let i = 0; i < 4; i++) registrations.push(await post("/register", { email: uniqueEmail("redis-down"), password: PASSWORD }));
    expect(registrations.map((answer) => answer.status)).toEqual([201, 201, 201, 429]);
    expect(registrations[3]!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(registrations[3]!.body.code).toBe("RATE_LIMITED");

    // Login cannot create its session without Redis, and must not become an unthrottled oracle.
    const login = await post("/login", { email, password: PASSWORD });
    expectUnavailable(login);

    // Refresh fails open at the limiter; a malformed token is refused without Redis, a well-formed
    // one reaches the session store, which answers 503.
    expect((await post("/refresh", { refresh_token: "garbage" })).status).toBe(401);
    const wellFormed = await post("/refresh", { refresh_token: "AZCltAAAcACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(wellFormed.status).toBe(503);
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/readyz")).status).toBe(503);

    await redis.start();
    expect((await eventually(() => get("/readyz"), (answer) => answer.status === 200)).status).toBe(200);
    // Back to Redis: its counters start afresh (the private server keeps nothing), logins work.
    const registered = await post("/register", { email, password: PASSWORD });
    expect(registered.status).toBe(201);
    const back = await eventually(() => post("/login", { email, password: PASSWORD }), (answer) => answer.status === 200, 10_000);
    expect(back.status).toBe(200);
    expect(back.headers.get("ratelimit-policy")).toContain('"login";q=3;w=60');
  });
});
