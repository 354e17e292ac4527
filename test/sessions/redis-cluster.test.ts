import type { Cluster } from "ioredis";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisClusterClient } from "../../src/bootstrap.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createRefreshToken, hashRefreshToken } from "../../src/sessions/refresh-tokens.js";
import { isDependencyOutage } from "../../src/lib/dependency-errors.js";
import { createRedisLoginThrottleStore } from "../../src/login-throttle/redis-store.js";
import { createRedisRateLimitStore } from "../../src/rate-limit/redis-store.js";
import { createRedisSessionStore } from "../../src/sessions/redis-store.js";
import { describeSessionStoreContract } from "../contracts/session-store.contract.js";
import { createTestPostgres, testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { startRedisCluster, type LocalRedisCluster } from "../helpers/redis-cluster.js";
import { freePort } from "../helpers/redis-server.js";
import { startServer, type Runtime, type ServerProcess } from "../helpers/server-process.js";
import { scanAll } from "../security/support.js";
import { describeLoginThrottleStoreContract } from "../contracts/login-throttle-store.contract.js";
import { describeRateLimitStoreContract } from "../contracts/rate-limit-store.contract.js";
import { PASSWORD } from "../helpers/flows.js";

/**
 * Redis Cluster: the configuration that selects it, the client bootstrap builds for it, and the
 * stores and the service on a real 3-master cluster that this file starts from `redis-server` and
 * stops again. A cluster refuses a script whose keys lie in two slots (CROSSSLOT), so the store
 * contracts passing here is what shows every multi-key script keeps its keys under one hash tag.
 *
 * The cluster part runs where a real Redis is (TEST_REDIS_URL set, as in CI); it needs the
 * `redis-server` and `redis-cli` binaries, and fails, not skips, without them.
 */

const uniquePrefix = () => `test:${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}:`;

describe("Redis Cluster configuration", () => {
  const base = { NODE_ENV: "test" } as const;

  it("takes REDIS_CLUSTER_NODES instead of REDIS_URL, with optional credentials and TLS", () => {
    const config = loadConfig({
      ...base,
      REDIS_CLUSTER_NODES: "redis-0.redis:6379, 10.0.0.2:7001,[::1]:7002",
      REDIS_CLUSTER_USERNAME: "auth",
      REDIS_CLUSTER_PASSWORD: "s3cret",
      REDIS_CLUSTER_TLS: "true",
      REDIS_KEY_PREFIX: "svc:",
    });
    expect(config.redis).toEqual({
      keyPrefix: "svc:",
      cluster: {
        nodes: [
          { host: "redis-0.redis", port: 6379 },
          { host: "10.0.0.2", port: 7001 },
          { host: "::1", port: 7002 },
        ],
        username: "auth",
        password: "s3cret",
        tls: true,
      },
    });
    expect(loadConfig({ ...base, REDIS_CLUSTER_NODES: "127.0.0.1:7000" }).redis).toEqual({
      keyPrefix: "auth:",
      cluster: { nodes: [{ host: "127.0.0.1", port: 7000 }], username: undefined, password: undefined, tls: false },
    });
    expect(loadConfig({ ...base, REDIS_URL: "redis://127.0.0.1:6379" }).redis).toEqual({ url: "redis://127.0.0.1:6379", keyPrefix: "auth:" });
    // An explicit "off" is harmless without a cluster (a copied .env.example).
    expect(loadConfig({ ...base, REDIS_CLUSTER_TLS: "false" }).redis).toBeUndefined();
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: "127.0.0.1" }, "REDIS_CLUSTER_NODES"],
    [{ REDIS_CLUSTER_NODES: "127.0.0.1:0" }, "REDIS_CLUSTER_NODES"],
    [{ REDIS_CLUSTER_NODES: "127.0.0.1:70000" }, "REDIS_CLUSTER_NODES"],
    [{ REDIS_CLUSTER_NODES: "redis://127.0.0.1:7000" }, "REDIS_CLUSTER_NODES"],
    [{ REDIS_CLUSTER_NODES: " , " }, "REDIS_CLUSTER_NODES"],
    [{ REDIS_CLUSTER_NODES: "127.0.0.1:7000", REDIS_URL: "redis://127.0.0.1:6379" }, "REDIS_CLUSTER_NODES"],
    [{ REDIS_CLUSTER_NODES: "127.0.0.1:7000", REDIS_CLUSTER_TLS: "maybe" }, "REDIS_CLUSTER_TLS"],
    [{ REDIS_CLUSTER_PASSWORD: "s3cret" }, "REDIS_CLUSTER_PASSWORD"],
    [{ REDIS_CLUSTER_TLS: "true" }, "REDIS_CLUSTER_TLS"],
  ])("refuses %o, naming %s", (env, variable) => {
    let caught: unknown;
    try {
      loadConfig({ ...base, ...env });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    // A password is never echoed in the message.
    expect((caught as ConfigError).message).not.toContain("s3cret");
  });
});

describe("the Redis Cluster client of the bootstrap", () => {
  it("fails a command at once while no node answers (no offline queue), as a dependency outage", async () => {
    const port = await freePort();
    const client = createRedisClusterClient({ nodes: [{ host: "127.0.0.1", port }], username: undefined, password: undefined, tls: false });
    client.on("error", () => {});
    try {
      expect(client.options.enableOfflineQueue).toBe(false);
      // Without the offline queue the command fails instead of waiting for a node (the test's timeout).
      const error = await client.get("anything").then(
        () => null,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(Error);
      // So the app answers 503, not 500.
      expect(isDependencyOutage(error)).toBe(true);
    } finally {
      client.disconnect();
    }
  });
});

describe.runIf(Boolean(testRedisUrl))("on a local 3-master Redis Cluster", () => {
  let cluster: LocalRedisCluster;
  const clients: Cluster[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster({ size: 3 });
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await cluster?.stop();
  });

  /** The production client (bootstrap's options), once the cluster has answered its ready check. */
  async function connect(): Promise<Cluster> {
    const client = createRedisClusterClient({ nodes: cluster.nodes, username: undefined, password: undefined, tls: false });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cluster client not ready: ${client.status}`)), 10_000);
      client.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return client;
  }

  it("is a real cluster: three masters, and a script over keys of two slots fails with CROSSSLOT", async () => {
    const client = await connect();
    expect(client.nodes("master")).toHaveLength(3);
    const script = "return redis.call('DEL', KEYS[1], KEYS[2])";
    await expect(client.eval(script, 2, "cross{1}", "cross{2}")).rejects.toThrow(/CROSSSLOT/);
    // The same keys under one hash tag are fine: what the stores rely on.
    await expect(client.eval(script, 2, "same{1}:a", "same{1}:b")).resolves.toBe(0);
  });

  describeSessionStoreContract("Redis Cluster (3 masters)", async () => {
    const client = await connect();
    return {
      store: createRedisSessionStore({ client, keyPrefix: uniquePrefix() }),
      createUser: async () => uuidv7(),
      cleanup: async () => client.disconnect(),
    };
  });

  describeLoginThrottleStoreContract("Redis Cluster (3 masters)", async () => {
    const client = await connect();
    return {
      store: createRedisLoginThrottleStore({ client, keyPrefix: `${uniquePrefix()}login-throttle:` }),
      cleanup: async () => client.disconnect(),
    };
  });

  describeRateLimitStoreContract("Redis Cluster (3 masters)", async () => {
    const client = await connect();
    return { store: createRedisRateLimitStore({ client, keyPrefix: `${uniquePrefix()}rate-limit:login:` }), cleanup: async () => client.disconnect() };
  });

  it("keeps each session's keys in one slot and spreads sessions over every master", async () => {
    const client = await connect();
    const keyPrefix = uniquePrefix();
    const store = createRedisSessionStore({ client, keyPrefix });
    const userId = uuidv7();
    const now = new Date();
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const id = uuidv7();
      const token = createRefreshToken(id);
      await store.create({ id, userId, tokenHash: await hashRefreshToken(token), userAgent: null, ip: null, now, idleTtlSeconds: 600, maxLifetimeSeconds: 3600 });
      // A rotation writes the spent set next to the session hash.
      const rotated = await store.rotate({
        sessionId: id,
        presentedHash: await hashRefreshToken(token),
        nextHash: await hashRefreshToken(createRefreshToken(id)),
        sealedSuccessor: "sealed",
        now,
        idleTtlSeconds: 600,
        graceSeconds: 10,
      });
      expect(rotated.outcome).toBe("rotated");
      ids.push(id);
    }
    for (const id of ids) {
      const [hashSlot, spentSlot] = await Promise.all([
        client.cluster("KEYSLOT", `${keyPrefix}session:{${id}}`),
        client.cluster("KEYSLOT", `${keyPrefix}session:{${id}}:spent`),
      ]);
      expect(spentSlot).toBe(hashSlot);
    }
    const perMaster = await Promise.all(client.nodes("master").map((node) => scanAll(node, `${keyPrefix}*`)));
    // 24 sessions × (hash + spent set) + the user index, on all three masters.
    expect(perMaster.flat()).toHaveLength(49);
    for (const keys of perMaster) expect(keys.length).toBeGreaterThan(0);
    expect((await store.listByUser(userId, now)).map((session) => session.id).sort()).toEqual([...ids].sort());
    expect(await store.revokeAllForUser(userId)).toBe(24);
    expect(await store.listByUser(userId, now)).toEqual([]);
  });

  describe.each<Runtime>(["node", "bun"])("the service process on %s with REDIS_CLUSTER_NODES", (runtime) => {
    const keyPrefix = uniquePrefix();
    let server: ServerProcess;
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      // Sessions, rate limits and login throttling in the cluster; users in PostgreSQL where
      // TEST_DATABASE_URL is set (it starts faster), in the embedded PGlite otherwise.
      const database = testDatabaseUrl ? await createTestPostgres() : undefined;
      dropDatabase = database?.cleanup;
      server = await startServer(runtime, {
        ...(database && { DATABASE_URL: database.url }),
        NODE_ENV: "development",
        REDIS_CLUSTER_NODES: cluster.nodesEnv,
        REDIS_KEY_PREFIX: keyPrefix,
        RATE_LIMIT_REGISTER: "1000/1m",
        RATE_LIMIT_LOGIN: "1000/1m",
        RATE_LIMIT_REFRESH: "1000/1m",
      });
    });
    afterAll(async () => {
      await server?.stop("SIGKILL");
      await dropDatabase?.();
    });

    async function post(path: string, body: unknown) {
      const response = await fetch(`${server.baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    }
    const me = (token: string) => fetch(`${server.baseUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
    const sidOf = (accessToken: string) =>
      (JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString("utf8")) as { sid: string }).sid;

    it("is ready with the cluster, and serves login, refresh and logout through it", async () => {
      const ready = await fetch(`${server.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.redis).toBe("ok");

      const client = await connect();
      const email = `cluster-${crypto.randomUUID().slice(0, 8)}@example.com`;
      expect((await post("/register", { email, password: PASSWORD })).status).toBe(201);
      const login = await post("/login", { email, password: PASSWORD });
      expect(login.status).toBe(200);
      const sessionKey = `${keyPrefix}session:{${sidOf(login.body.access_token)}}`;
      // The session lives in the cluster, and so do the shared rate-limit counters.
      expect(await client.hget(sessionKey, "generation")).toBe("0");
      const counters = (await Promise.all(client.nodes("master").map((node) => scanAll(node, `${keyPrefix}rate-limit:*`)))).flat();
      expect(counters.length).toBeGreaterThanOrEqual(2);
      expect((await me(login.body.access_token)).status).toBe(200);

      const refreshed = await post("/refresh", { refresh_token: login.body.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.refresh_token).not.toBe(login.body.refresh_token);
      expect(await client.hget(sessionKey, "generation")).toBe("1");
      expect(await client.scard(`${sessionKey}:spent`)).toBe(1);
      // Within the grace window the just-rotated token gets the same successor again.
      expect((await post("/refresh", { refresh_token: login.body.refresh_token })).body.refresh_token).toBe(refreshed.body.refresh_token);

      expect((await post("/logout", { refresh_token: refreshed.body.refresh_token })).status).toBe(204);
      expect(await client.exists(sessionKey)).toBe(0);
      expect((await me(refreshed.body.access_token)).status).toBe(401);
      expect((await post("/refresh", { refresh_token: refreshed.body.refresh_token })).status).toBe(401);
      expect(server.output()).not.toContain('"level":50');
    });
  });
});
