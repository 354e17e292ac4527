import type { Cluster, Redis } from "ioredis";
import { RESERVATION_LEASE_MS } from "./store.js";
import type { LoginAttemptDecision, LoginFailureCounts, LoginThrottleKeys, LoginThrottleRule, LoginThrottleStore } from "./store.js";

export interface RedisLoginThrottleStoreOptions {
  client: Redis | Cluster;
  /** Prepended to every key, e.g. `auth:login-throttle:`. */
  keyPrefix: string;
}

/*
 * Layout, all under one hash tag (the account), so every script's keys share a Cluster slot:
 *   {prefix}{<account>}             hash: failures, expiresAt (epoch ms)
 *   {prefix}{<account>}:p           sorted set: reservations in flight, scored by the end of their lease
 *   {prefix}{<account>}:<source>    hash: failures, lockedUntil, expiresAt (lockedUntil 0 = unlocked)
 *   {prefix}{<account>}:<source>:p  sorted set: as above
 *
 * Each step is one Lua script, so that check-and-reserve is atomic across every instance of the
 * service: of any number of concurrent attempts, no more are in flight than failures remain in the
 * budget. Times come from the caller; PEXPIRE uses a relative duration and only reclaims memory, the
 * `expiresAt` field and the lease scores decide liveness (as in the session store). Numbers written
 * with "%.0f": Lua's tostring would write an epoch in milliseconds as 1.7e+12.
 */

/** KEYS: account, account pending, source, source pending. ARGV: now, reservation, lease ms, maxFailures, accountMaxFailures. */
const BEGIN_LUA = `
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[3])
local maxFailures = tonumber(ARGV[4])
local accountMax = tonumber(ARGV[5])
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[4], "-inf", ARGV[1])
local a = redis.call("HMGET", KEYS[1], "failures", "expiresAt")
local accountFailures = tonumber(a[1]) or 0
local accountExpires = tonumber(a[2]) or 0
if accountExpires <= now then accountFailures = 0 end
local s = redis.call("HMGET", KEYS[3], "failures", "lockedUntil", "expiresAt")
local sourceFailures = tonumber(s[1]) or 0
local lockedUntil = tonumber(s[2]) or 0
if (tonumber(s[3]) or 0) <= now then
  sourceFailures = 0
  lockedUntil = 0
end
if accountFailures >= accountMax then return {2, accountExpires - now} end
if lockedUntil > now then return {3, lockedUntil - now} end
if redis.call("ZCARD", KEYS[4]) >= math.max(1, maxFailures - sourceFailures) then return {0, 0} end
if redis.call("ZCARD", KEYS[2]) >= math.max(1, accountMax - accountFailures) then return {0, 0} end
local leaseEnd = string.format("%.0f", now + lease)
redis.call("ZADD", KEYS[2], leaseEnd, ARGV[2])
redis.call("PEXPIRE", KEYS[2], lease)
redis.call("ZADD", KEYS[4], leaseEnd, ARGV[2])
redis.call("PEXPIRE", KEYS[4], lease)
return {1, 0}
`;

/** KEYS: as BEGIN. ARGV: now, reservation, window ms, base back-off ms, max back-off ms, maxFailures, account window ms. */
const FAIL_LUA = `
local now = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[3])
local baseMs = tonumber(ARGV[4])
local maxMs = tonumber(ARGV[5])
local maxFailures = tonumber(ARGV[6])
local accountWindowMs = tonumber(ARGV[7])
redis.call("ZREM", KEYS[2], ARGV[2])
redis.call("ZREM", KEYS[4], ARGV[2])
local a = redis.call("HMGET", KEYS[1], "failures", "expiresAt")
local accountFailures = tonumber(a[1]) or 0
if (tonumber(a[2]) or 0) <= now then accountFailures = 0 end
accountFailures = accountFailures + 1
redis.call("HSET", KEYS[1], "failures", accountFailures, "expiresAt", string.format("%.0f", now + accountWindowMs))
redis.call("PEXPIRE", KEYS[1], string.format("%.0f", accountWindowMs))
local s = redis.call("HMGET", KEYS[3], "failures", "expiresAt")
local sourceFailures = tonumber(s[1]) or 0
if (tonumber(s[2]) or 0) <= now then sourceFailures = 0 end
sourceFailures = sourceFailures + 1
local lockMs = 0
if sourceFailures >= maxFailures then
  lockMs = math.min(baseMs * 2 ^ math.min(sourceFailures - maxFailures, 40), maxMs)
end
local locked = 0
if lockMs > 0 then locked = now + lockMs end
redis.call("HSET", KEYS[3], "failures", sourceFailures, "lockedUntil", string.format("%.0f", locked),
  "expiresAt", string.format("%.0f", now + lockMs + windowMs))
redis.call("PEXPIRE", KEYS[3], string.format("%.0f", lockMs + windowMs))
return {sourceFailures, accountFailures}
`;

/** KEYS: as BEGIN. ARGV: reservation, "1" to reset the counts (a success). */
const END_LUA = `
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("ZREM", KEYS[4], ARGV[1])
if ARGV[2] == "1" then redis.call("DEL", KEYS[1], KEYS[3]) end
return 1
`;

/** The commands `defineCommand` adds; names are specific to this module so they cannot clash. */
interface LoginThrottleScripts {
  authLoginThrottleBegin(...args: string[]): Promise<unknown>;
  authLoginThrottleFail(...args: string[]): Promise<unknown>;
  authLoginThrottleEnd(...args: string[]): Promise<unknown>;
}

export function createRedisLoginThrottleStore({ client, keyPrefix }: RedisLoginThrottleStoreOptions): LoginThrottleStore {
  // EVALSHA with a fallback to EVAL when the server does not know the script (e.g. after a restart).
  client.defineCommand("authLoginThrottleBegin", { numberOfKeys: 4, lua: BEGIN_LUA });
  client.defineCommand("authLoginThrottleFail", { numberOfKeys: 4, lua: FAIL_LUA });
  client.defineCommand("authLoginThrottleEnd", { numberOfKeys: 4, lua: END_LUA });
  const scripts = client as unknown as LoginThrottleScripts;
  function recordKeys({ account, source }: LoginThrottleKeys): string[] {
    const accountKey = `${keyPrefix}{${account}}`;
    const sourceKey = `${accountKey}:${source}`;
    return [accountKey, `${accountKey}:p`, sourceKey, `${sourceKey}:p`];
  }

  return {
    async begin(keys, reservation, now, rule): Promise<LoginAttemptDecision> {
      const reply = await scripts.authLoginThrottleBegin(
        ...recordKeys(keys),
        String(now.getTime()),
        reservation,
        String(RESERVATION_LEASE_MS),
        String(rule.maxFailures),
        String(rule.accountMaxFailures),
      );
      const [code, value] = (reply as [number, number]).map(Number) as [number, number];
      if (code === 1) return { outcome: "allowed" };
      if (code === 0) return { outcome: "busy" };
      return { outcome: "refused", scope: code === 2 ? "account" : "source", retryAfterMs: value };
    },

    async fail(keys, reservation, now, rule): Promise<LoginFailureCounts> {
      const reply = await scripts.authLoginThrottleFail(
        ...recordKeys(keys),
        String(now.getTime()),
        reservation,
        String(rule.windowSeconds * 1000),
        String(rule.baseBackoffSeconds * 1000),
        String(rule.maxBackoffSeconds * 1000),
        String(rule.maxFailures),
        String(rule.accountWindowSeconds * 1000),
      );
      const [sourceFailures, accountFailures] = (reply as [number, number]).map(Number) as [number, number];
      return { sourceFailures, accountFailures };
    },

    async succeed(keys, reservation): Promise<void> {
      await scripts.authLoginThrottleEnd(...recordKeys(keys), reservation, "1");
    },

    async release(keys, reservation): Promise<void> {
      await scripts.authLoginThrottleEnd(...recordKeys(keys), reservation, "0");
    },
  };
}
