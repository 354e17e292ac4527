import type { Cluster, Redis } from "ioredis";
import type { LoginAttemptDecision, LoginThrottleRule, LoginThrottleStore } from "./store.js";

export interface RedisLoginThrottleStoreOptions {
  client: Redis | Cluster;
  /** Prepended to every key, e.g. `auth:login-throttle:`. */
  keyPrefix: string;
}

/*
 * Layout: {prefix}<key>  hash: attempts, lockedUntil, expiresAt (epoch ms; lockedUntil 0 = unlocked).
 *
 * Each step is one Lua script, so that check-and-count is atomic across every instance of the
 * service: of any number of concurrent attempts on one account, exactly `maxFailures` pass before
 * the lock, never more. Times come from the caller; PEXPIRE uses a relative duration and only
 * reclaims memory, the `expiresAt` field decides liveness (as in the session store).
 */

/** KEYS: record. ARGV: now, maxFailures, window ms, base back-off ms, max back-off ms. */
const ATTEMPT_LUA = `
local now = tonumber(ARGV[1])
local maxFailures = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local baseMs = tonumber(ARGV[4])
local maxMs = tonumber(ARGV[5])
local f = redis.call("HMGET", KEYS[1], "attempts", "lockedUntil", "expiresAt")
local attempts = tonumber(f[1]) or 0
local lockedUntil = tonumber(f[2]) or 0
local expiresAt = tonumber(f[3]) or 0
if expiresAt <= now then
  attempts = 0
  lockedUntil = 0
end
if lockedUntil > now then
  return {0, lockedUntil - now}
end
attempts = attempts + 1
local lockMs = 0
if attempts >= maxFailures then
  lockMs = math.min(baseMs * 2 ^ math.min(attempts - maxFailures, 40), maxMs)
end
local locked = 0
if lockMs > 0 then locked = now + lockMs end
redis.call("HSET", KEYS[1], "attempts", attempts, "lockedUntil", string.format("%.0f", locked),
  "expiresAt", string.format("%.0f", now + lockMs + windowMs))
redis.call("PEXPIRE", KEYS[1], string.format("%.0f", lockMs + windowMs))
return {1, attempts}
`;

/** KEYS: record. ARGV: now. */
const REFUND_LUA = `
local f = redis.call("HMGET", KEYS[1], "attempts", "expiresAt")
local attempts = tonumber(f[1]) or 0
local expiresAt = tonumber(f[2]) or 0
if attempts <= 0 or expiresAt <= tonumber(ARGV[1]) then
  return 0
end
redis.call("HSET", KEYS[1], "attempts", attempts - 1, "lockedUntil", "0")
return 1
`;

/** The commands `defineCommand` adds; names are specific to this module so they cannot clash. */
interface LoginThrottleScripts {
  authLoginThrottleAttempt(key: string, nowMs: string, maxFailures: string, windowMs: string, baseMs: string, maxMs: string): Promise<unknown>;
  authLoginThrottleRefund(key: string, nowMs: string): Promise<unknown>;
}

export function createRedisLoginThrottleStore({ client, keyPrefix }: RedisLoginThrottleStoreOptions): LoginThrottleStore {
  // EVALSHA with a fallback to EVAL when the server does not know the script (e.g. after a restart).
  client.defineCommand("authLoginThrottleAttempt", { numberOfKeys: 1, lua: ATTEMPT_LUA });
  client.defineCommand("authLoginThrottleRefund", { numberOfKeys: 1, lua: REFUND_LUA });
  const scripts = client as unknown as LoginThrottleScripts;
  const recordKey = (key: string) => `${keyPrefix}${key}`;

  return {
    async attempt(key: string, now: Date, rule: LoginThrottleRule): Promise<LoginAttemptDecision> {
      const reply = await scripts.authLoginThrottleAttempt(
        recordKey(key),
        String(now.getTime()),
        String(rule.maxFailures),
        String(rule.windowSeconds * 1000),
        String(rule.baseBackoffSeconds * 1000),
        String(rule.maxBackoffSeconds * 1000),
      );
      const [allowed, value] = reply as [number, number];
      return allowed === 1 ? { allowed: true, attempts: Number(value) } : { allowed: false, retryAfterMs: Number(value) };
    },

    async refund(key: string, now: Date): Promise<void> {
      await scripts.authLoginThrottleRefund(recordKey(key), String(now.getTime()));
    },

    async reset(key: string): Promise<void> {
      await client.del(recordKey(key));
    },
  };
}
