import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPostgres, testDatabaseUrl } from "./helpers/backends.js";
import { createPrivateRedis, type PrivateRedis } from "./helpers/redis-server.js";
import { createTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";
import { eventually } from "./helpers/eventually.js";
import { PASSWORD } from "./helpers/flows.js";
import { jsonCalls, startRuntimeApp, type RuntimeApp } from "./helpers/runtime-app.js";

/**
 * Dependencies that go away and come back: a private redis-server that is killed and restarted, and
 * PostgreSQL behind a TCP proxy that drops every connection and refuses new ones. The app is built
 * by the real bootstrap, so these are the production client settings.
 */
/** "Never a hang": a route that waited on the dead dependency would run into the test's timeout. */

describe.runIf(Boolean(testDatabaseUrl))("dependency outages", () => {
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let server: RuntimeApp;
  let dropDatabase: () => Promise<void>;
  const { post, get } = jsonCalls(() => server.app);

  beforeAll(async () => {
    redis = await createPrivateRedis();
    const database = await createTestPostgres();
    dropDatabase = database.cleanup;
    const url = new URL(database.url);
    proxy = await createTcpProxy(url.hostname, Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    server = await startRuntimeApp({ DATABASE_URL: url.toString(), REDIS_URL: redis.url });
  });

  afterAll(async () => {
    await server?.close();
    await proxy?.close();
    await redis?.stop();
    await dropDatabase?.();
  });

  async function signedIn() {
    const email = `outage-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await post("/register", { email, password: PASSWORD })).status).toBe(201);
    const login = await post("/login", { email, password: PASSWORD });
    expect(login.status).toBe(200);
    return { email, tokens: login.body };
  }

  it("Redis down: 503 problems within seconds, /readyz names redis, /healthz stays 200; back up: works again", async () => {
    const { email, tokens } = await signedIn();
    await redis.stop();

    const refresh = await post("/refresh", { refresh_token: tokens.refresh_token });
    expect(refresh.status).toBe(503);
    expect(refresh.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(refresh.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(JSON.stringify(refresh.body)).not.toMatch(/ECONNREFUSED|Connection is closed|stream/i);
    expect((await get("/me", tokens.access_token)).status).toBe(503);
    expect((await post("/login", { email, password: PASSWORD })).status).toBe(503);

    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ database: "ok", redis: "unavailable" });
    expect((await get("/healthz")).status).toBe(200);

    await redis.start();
    const readyAgain = await eventually(() => get("/readyz"), (response) => response.status === 200);
    expect(readyAgain.status).toBe(200);
    // The private Redis keeps nothing on disk, so its sessions are gone; a new login works.
    const login = await eventually(() => post("/login", { email, password: PASSWORD }), (response) => response.status === 200);
    expect(login.status).toBe(200);
    expect((await get("/me", login.body.access_token)).status).toBe(200);
  });

  it("PostgreSQL unreachable: 503 problems within seconds, /readyz names the database; back: works again", async () => {
    const { email, tokens } = await signedIn();
    await proxy.cut();

    const login = await post("/login", { email, password: PASSWORD });
    expect(login.status).toBe(503);
    expect(login.body.code).toBe("SERVICE_UNAVAILABLE");
    expect((await get("/me", tokens.access_token)).status).toBe(503);
    // A person on the hosted sign-in pages gets a page saying so, not a problem document.
    const page = await get("/oauth/authorize?client_id=some-client&response_type=code");
    expect(page.status).toBe(503);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.text).toContain("briefly unavailable");
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ database: "unavailable", redis: "ok" });
    expect((await get("/healthz")).status).toBe(200);

    await proxy.restore();
    const back = await eventually(() => post("/login", { email, password: PASSWORD }), (response) => response.status === 200);
    expect(back.status).toBe(200);
    expect((await get("/me", tokens.access_token)).status).toBe(200);
    expect((await get("/readyz")).status).toBe(200);
  });
});
