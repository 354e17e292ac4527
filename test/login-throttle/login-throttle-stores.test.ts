import { describe, expect, it } from "vitest";
import type { LoginThrottleRule } from "../../src/login-throttle/store.js";
import { createMemoryLoginThrottleStore } from "../../src/login-throttle/memory-store.js";
import { createRedisLoginThrottleStore } from "../../src/login-throttle/redis-store.js";
import { createTestRedis, testRedisUrl } from "../helpers/backends.js";
import { scanAll } from "../security/support.js";
import { describeLoginThrottleStoreContract } from "../contracts/login-throttle-store.contract.js";

describeLoginThrottleStoreContract("memory", async () => ({ store: createMemoryLoginThrottleStore(), cleanup: async () => {} }));

describe.runIf(Boolean(testRedisUrl))("with TEST_REDIS_URL", () => {
  describeLoginThrottleStoreContract("Redis", async () => {
    const redis = await createTestRedis();
    return { store: createRedisLoginThrottleStore({ client: redis.value, keyPrefix: `${redis.keyPrefix}login-throttle:` }), cleanup: redis.cleanup };
  });

  it("Redis: keeps only counters under its prefix, each with a TTL, and no key in clear", async () => {
    const redis = await createTestRedis();
    try {
      const store = createRedisLoginThrottleStore({ client: redis.value, keyPrefix: `${redis.keyPrefix}lt:` });
      const rule: LoginThrottleRule = { maxFailures: 2, windowSeconds: 60, baseBackoffSeconds: 30, maxBackoffSeconds: 60 };
      await store.attempt("opaque-key", new Date(), rule);
      await store.attempt("opaque-key", new Date(), rule);
      const keys = await scanAll(redis.value, `${redis.keyPrefix}*`);
      expect(keys).toEqual([`${redis.keyPrefix}lt:opaque-key`]);
      const ttl = await redis.value.pttl(keys[0]!);
      // Locked for 30 s, then kept for the 60 s window.
      expect(ttl).toBeGreaterThan(80_000);
      expect(ttl).toBeLessThanOrEqual(90_000);
    } finally {
      await redis.cleanup();
    }
  });
});

describe("memory store bounds", () => {
  it("drops the least recently attempted records beyond maxEntries", async () => {
    const store = createMemoryLoginThrottleStore({ maxEntries: 3 });
    const rule: LoginThrottleRule = { maxFailures: 1, windowSeconds: 600, baseBackoffSeconds: 60, maxBackoffSeconds: 60 };
    const now = new Date();
    for (const key of ["a", "b", "c", "d"]) expect((await store.attempt(key, now, rule)).allowed).toBe(true);
    // "a" was dropped, so it starts again; "d" is still locked.
    expect(await store.attempt("a", now, rule)).toEqual({ allowed: true, attempts: 1 });
    expect((await store.attempt("d", now, rule)).allowed).toBe(false);
  });
});
