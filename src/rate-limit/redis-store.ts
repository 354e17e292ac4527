import type { Cluster, Redis } from "ioredis";
import type { ClientRateLimitInfo, HonoConfigType, Store } from "hono-rate-limiter";

export interface RedisRateLimitStoreOptions {
  client: Redis | Cluster;
  /** Prepended to every key, e.g. `auth:rate-limit:login:`; the client's bucket follows it. */
  keyPrefix: string;
}

/*
 * A hono-rate-limiter `Store` on ioredis: fixed-window counters, {prefix}<bucket> = hit count with a
 * TTL of one window. Why not the RedisStore that hono-rate-limiter 0.5 ships (its docs' "Redis
 * store"; @hono-rate-limiter/redis is the same code, older): it wants a client with
 * `scriptLoad(script)` and `evalsha(sha, keys[], args[])`, the shape of @upstash/redis and
 * node-redis, which ioredis 6 does not have (`script("LOAD", …)`, `evalsha(sha, numKeys, …keys)`);
 * it would need an adapter, and it loads its scripts eagerly in its constructor and retries every
 * failure once by reloading them, which doubles the failing calls during an outage. ioredis's
 * `defineCommand` already does EVALSHA with a fallback to EVAL, so this store is one short script.
 *
 * The increment is one Lua script (INCR, and PEXPIRE when the key is new), so the count is atomic
 * across every instance sharing the Redis: no read-then-write, and a key never lives without TTL.
 */

/** KEYS: counter. ARGV: window ms. Returns { hits, ms until the window resets }. */
const HIT_LUA = `
local hits = redis.call("INCR", KEYS[1])
local ttl = redis.call("PTTL", KEYS[1])
if ttl < 0 then
  redis.call("PEXPIRE", KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
`;

/** Never below zero and never touching the expiry, so a late decrement cannot leak into a new window. */
const UNDO_LUA = `
local current = tonumber(redis.call("GET", KEYS[1]))
if current and current > 0 then
  redis.call("DECR", KEYS[1])
end
return 1
`;

/** KEYS: counter. Returns { hits or false, ms until reset }. */
const PEEK_LUA = `
return {redis.call("GET", KEYS[1]), redis.call("PTTL", KEYS[1])}
`;

interface RateLimitScripts {
  authRateLimitHit(key: string, windowMs: string): Promise<unknown>;
  authRateLimitUndo(key: string): Promise<unknown>;
  authRateLimitPeek(key: string): Promise<unknown>;
}

export function createRedisRateLimitStore({ client, keyPrefix }: RedisRateLimitStoreOptions): Store {
  client.defineCommand("authRateLimitHit", { numberOfKeys: 1, lua: HIT_LUA });
  client.defineCommand("authRateLimitUndo", { numberOfKeys: 1, lua: UNDO_LUA });
  client.defineCommand("authRateLimitPeek", { numberOfKeys: 1, lua: PEEK_LUA });
  const scripts = client as unknown as RateLimitScripts;
  const counterKey = (key: string) => `${keyPrefix}${key}`;
  let windowMs = 60_000;

  return {
    prefix: keyPrefix,
    localKeys: false,
    init(options: HonoConfigType) {
      windowMs = options.windowMs;
    },
    async increment(key: string): Promise<ClientRateLimitInfo> {
      const [hits, ttl] = (await scripts.authRateLimitHit(counterKey(key), String(windowMs))) as [number, number];
      return { totalHits: Number(hits), resetTime: new Date(Date.now() + Number(ttl)) };
    },
    async get(key: string): Promise<ClientRateLimitInfo | undefined> {
      const [hits, ttl] = (await scripts.authRateLimitPeek(counterKey(key))) as [string | null, number];
      if (hits === null || Number(ttl) < 0) return undefined;
      return { totalHits: Number(hits), resetTime: new Date(Date.now() + Number(ttl)) };
    },
    async decrement(key: string): Promise<void> {
      await scripts.authRateLimitUndo(counterKey(key));
    },
    async resetKey(key: string): Promise<void> {
      await client.del(counterKey(key));
    },
  };
}
