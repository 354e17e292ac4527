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

  it("Redis: keeps only counters under its prefix, in one hash slot per account, each with a TTL", async () => {
    const redis = await createTestRedis();
    try {
      const store = createRedisLoginThrottleStore({ client: redis.value, keyPrefix: `${redis.keyPrefix}lt:` });
      const rule: LoginThrottleRule = { maxFailures: 2, windowSeconds: 60, baseBackoffSeconds: 30, maxBackoffSeconds: 60, accountMaxFailures: 10, accountWindowSeconds: 600 };
      const keys = { account: "opaque-key", source: "192.0.2.1" };
      for (let i = 0; i < 2; i++) {
        const id = crypto.randomUUID();
        await store.begin(keys, id, new Date(), rule);
        await store.fail(keys, id, new Date(), rule);
      }
      const found = (await scanAll(redis.value, `${redis.keyPrefix}*`)).sort();
      expect(found).toEqual([`${redis.keyPrefix}lt:{opaque-key}`, `${redis.keyPrefix}lt:{opaque-key}:192.0.2.1`]);
      const sourceTtl = await redis.value.pttl(found[1]!);
      // Locked for 30 s, then kept for the 60 s window.
      expect(sourceTtl).toBeGreaterThan(80_000);
      expect(sourceTtl).toBeLessThanOrEqual(90_000);
      const accountTtl = await redis.value.pttl(found[0]!);
      expect(accountTtl).toBeGreaterThan(590_000);
      expect(accountTtl).toBeLessThanOrEqual(600_000);
    } finally {
      await redis.cleanup();
    }
  });
});

describe("memory store bounds", () => {
  it("drops the least recently touched records beyond maxEntries", async () => {
    // Each account has two records (the account and the source): 4 hold two accounts.
    const store = createMemoryLoginThrottleStore({ maxEntries: 4 });
    const rule: LoginThrottleRule = { maxFailures: 1, windowSeconds: 600, baseBackoffSeconds: 60, maxBackoffSeconds: 60, accountMaxFailures: 10, accountWindowSeconds: 600 };
    const now = new Date();
    for (const account of ["a", "b", "c"]) {
      const id = crypto.randomUUID();
      expect(await store.begin({ account, source: "s" }, id, now, rule)).toEqual({ outcome: "allowed" });
      await store.fail({ account, source: "s" }, id, now, rule);
    }
    // "a" was dropped, so it starts again; "c" is still locked.
    expect(await store.begin({ account: "a", source: "s" }, crypto.randomUUID(), now, rule)).toEqual({ outcome: "allowed" });
    expect((await store.begin({ account: "c", source: "s" }, crypto.randomUUID(), now, rule)).outcome).toBe("refused");
  });
});
