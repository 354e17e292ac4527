import type { Redis } from "ioredis";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRefreshToken, hashRefreshToken } from "../../src/sessions/refresh-tokens.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { createRedisSessionStore } from "../../src/sessions/redis-store.js";
import { createSqlSessionStore } from "../../src/sessions/sql-store.js";
import type { SessionStore } from "../../src/sessions/store.js";
import { describeSessionStoreContract } from "../contracts/session-store.contract.js";
import {
  createUserMaker,
  createTestPglite,
  createTestPostgres,
  createTestRedis,
  sqlStoreContext,
  type TestBackend,
  testDatabaseUrl,
  testRedisUrl,
} from "../helpers/backends.js";

describeSessionStoreContract("SQL on PGlite", async () => sqlStoreContext(await createTestPglite(), createSqlSessionStore));

describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describeSessionStoreContract("SQL on PostgreSQL", async () => sqlStoreContext(await createTestPostgres(), createSqlSessionStore));
});

describe.runIf(Boolean(testRedisUrl))("with TEST_REDIS_URL", () => {
  // Redis has no foreign keys: any fresh id is a user.
  describeSessionStoreContract("Redis", async () => {
    const redis = await createTestRedis();
    return {
      store: createRedisSessionStore({ client: redis.value, keyPrefix: redis.keyPrefix }),
      createUser: async () => uuidv7(),
      cleanup: redis.cleanup,
    };
  });
});

async function seed(store: SessionStore, userId: string, now: Date, idleTtlSeconds: number, maxLifetimeSeconds: number) {
  const id = uuidv7();
  const tokenHash = await hashRefreshToken(createRefreshToken(id));
  await store.create({ id, userId, tokenHash, userAgent: null, ip: null, now, idleTtlSeconds, maxLifetimeSeconds });
  return id;
}

describe("SQL session store: pruneExpired (PGlite)", () => {
  let backend: TestBackend<DatabaseHandle>;
  beforeAll(async () => {
    backend = await createTestPglite();
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  it("deletes sessions past either expiry and keeps live ones", async () => {
    const { db } = backend.value;
    const store = createSqlSessionStore({ db });
    const userId = await createUserMaker(db)();
    const t0 = new Date();
    const idleGone = await seed(store, userId, t0, 60, 3600);
    const absoluteGone = await seed(store, userId, t0, 7200, 120);
    const live = await seed(store, userId, t0, 3600, 7200);
    const now = new Date(t0.getTime() + 120_000);

    expect(await store.pruneExpired(now)).toBe(2);
    // Gone for good: not even a lookup at a time they were alive finds them.
    expect(await store.get(idleGone, t0)).toBeNull();
    expect(await store.get(absoluteGone, t0)).toBeNull();
    expect(await store.get(live, now)).not.toBeNull();
    expect(await store.pruneExpired(now)).toBe(0);
  });
});

describe.runIf(Boolean(testRedisUrl))("Redis session store: keys and lifetimes", () => {
  let redis: TestBackend<Redis> & { keyPrefix: string };
  beforeAll(async () => {
    redis = await createTestRedis();
  });
  afterAll(async () => {
    await redis.cleanup();
  });

  it("sets lifetimes relative to the caller's clock, so a Redis clock that disagrees does not matter", async () => {
    const client = redis.value;
    const store = createRedisSessionStore({ client, keyPrefix: redis.keyPrefix });
    const userId = uuidv7();
    // The app clock says 2001: absolute expiry instants would lie in Redis's past and the keys
    // would vanish at once; relative lifetimes keep them for the idle TTL.
    const now = new Date("2001-01-01T00:00:00.000Z");
    const id = uuidv7();
    const token = createRefreshToken(id);
    await store.create({
      id,
      userId,
      tokenHash: await hashRefreshToken(token),
      userAgent: null,
      ip: null,
      now,
      idleTtlSeconds: 600,
      maxLifetimeSeconds: 3600,
    });
    const sessionKey = `${redis.keyPrefix}session:{${id}}`;
    const indexKey = `${redis.keyPrefix}user:{${userId}}:sessions`;
    expect(await client.pttl(sessionKey)).toBeGreaterThan(590_000);
    expect(await client.pttl(sessionKey)).toBeLessThanOrEqual(600_000);
    expect(await client.pttl(indexKey)).toBeGreaterThan(3_590_000);
    expect(await client.pttl(indexKey)).toBeLessThanOrEqual(3_600_000);

    const next = createRefreshToken(id);
    const later = new Date(now.getTime() + 300_000);
    const result = await store.rotate({
      sessionId: id,
      presentedHash: await hashRefreshToken(token),
      nextHash: await hashRefreshToken(next),
      sealedSuccessor: "sealed",
      now: later,
      idleTtlSeconds: 1200,
      graceSeconds: 10,
    });
    expect(result.outcome).toBe("rotated");
    for (const key of [sessionKey, `${sessionKey}:spent`]) {
      expect(await client.pttl(key)).toBeGreaterThan(1_190_000);
      expect(await client.pttl(key)).toBeLessThanOrEqual(1_200_000);
    }
    // Nothing but hashes is stored: neither token appears anywhere in the session's keys.
    const stored = JSON.stringify([await client.hgetall(sessionKey), await client.smembers(`${sessionKey}:spent`)]);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(next);
  });

  it("never shortens the user index lifetime and prunes ids of sessions that are gone", async () => {
    const client = redis.value;
    const store = createRedisSessionStore({ client, keyPrefix: redis.keyPrefix });
    const userId = uuidv7();
    const indexKey = `${redis.keyPrefix}user:{${userId}}:sessions`;
    const now = new Date();
    const long = await seed(store, userId, now, 600, 7200);
    const short = await seed(store, userId, now, 60, 120);
    expect(await client.pttl(indexKey)).toBeGreaterThan(7_190_000);

    // A session whose hash vanished (expired in Redis) leaves a stale id; listing prunes it.
    await client.del(`${redis.keyPrefix}session:{${short}}`);
    expect(await client.zcard(indexKey)).toBe(2);
    expect((await store.listByUser(userId, now)).map((s) => s.id)).toEqual([long]);
    expect(await client.zrange(indexKey, "0", "-1")).toEqual([long]);
  });
});
