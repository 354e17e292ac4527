import type { Cluster, Redis } from "ioredis";
import type { NewSession, RotateInput, RotateResult, SessionRecord, SessionStore } from "./store.js";

export interface RedisSessionStoreOptions {
  client: Redis | Cluster;
  /** Prepended to every key, e.g. `auth:`. Keep braces out of it unless every key should share one slot. */
  keyPrefix: string;
}

/*
 * Layout, all values strings, times as epoch milliseconds:
 *   {prefix}session:{<id>}          hash: userId, tokenHash, previousTokenHash, sealedSuccessor, rotatedAt,
 *                                   generation, userAgent, ip, createdAt, lastUsedAt, idleExpiresAt,
 *                                   absoluteExpiresAt (absent fields are null)
 *   {prefix}session:{<id>}:spent    set of the hashes rotated out of that session
 *   {prefix}user:{<userId>}:sessions sorted set of the user's session ids, score = createdAt
 *
 * The braces are Redis Cluster hash tags: only the part inside them picks the slot, so a session's
 * hash and its spent set always live in the same slot and one Lua script may touch both (a script
 * touching keys of two slots fails with CROSSSLOT). The user index sits in the user's slot, which is
 * why create() and the revocations update it in a separate call and why it may hold ids of sessions
 * that are gone: readers check each id and prune the stale ones.
 *
 * Times come from the caller (`now`), never from Redis TIME; key lifetimes are set with PEXPIRE and a
 * relative duration (expiry - now), never PEXPIREAT with an absolute instant, so the app's clock and
 * Redis's clock may disagree without keys vanishing early or lingering. The expiry fields in the
 * hash are what decide liveness; the key TTL only reclaims memory.
 */

/** Writes the session hash and its lifetime together, so a hash never exists without a TTL. */
const CREATE_SESSION_LUA = `
redis.call("HSET", KEYS[1], unpack(ARGV, 2))
redis.call("PEXPIRE", KEYS[1], ARGV[1])
return 1
`;

/** Adds to the user index and extends (never shortens) its lifetime to cover the new session. */
const INDEX_SESSION_LUA = `
redis.call("ZADD", KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if redis.call("PTTL", KEYS[1]) < ttl then
  redis.call("PEXPIRE", KEYS[1], ARGV[3])
end
return 1
`;

/*
 * Rotation, reuse detection and the grace window as one script: Redis runs a script to completion
 * before any other command, so of several concurrent refreshes with the same token exactly one sees
 * it as current; a read-then-write from the client (even with WATCH) would need retries instead.
 * KEYS: session hash, spent set. ARGV: presented hash, next hash, sealed successor, now (ms),
 * idle TTL (ms), grace (ms).
 */
const ROTATE_LUA = `
local presented = ARGV[1]
local now = tonumber(ARGV[4])
local idleTtl = tonumber(ARGV[5])
local grace = tonumber(ARGV[6])
local f = redis.call("HMGET", KEYS[1], "tokenHash", "previousTokenHash", "rotatedAt", "idleExpiresAt",
  "absoluteExpiresAt", "sealedSuccessor", "userId")
local current, previous, rotatedAt, idleExp, absExp, sealed, userId = f[1], f[2], f[3], f[4], f[5], f[6], f[7]
if not current or not idleExp or not absExp then
  return {"invalid"}
end
idleExp = tonumber(idleExp)
absExp = tonumber(absExp)
if now >= idleExp or now >= absExp then
  return {"invalid"}
end
if presented == current then
  local newIdle = math.min(now + idleTtl, absExp)
  redis.call("HSET", KEYS[1], "tokenHash", ARGV[2], "previousTokenHash", presented, "sealedSuccessor", ARGV[3],
    "rotatedAt", ARGV[4], "lastUsedAt", ARGV[4], "idleExpiresAt", string.format("%.0f", newIdle))
  redis.call("HINCRBY", KEYS[1], "generation", 1)
  redis.call("SADD", KEYS[2], presented)
  local ttl = string.format("%.0f", math.max(newIdle - now, 1))
  redis.call("PEXPIRE", KEYS[1], ttl)
  redis.call("PEXPIRE", KEYS[2], ttl)
  return {"rotated", redis.call("HGETALL", KEYS[1])}
end
if grace > 0 and previous and sealed and rotatedAt and presented == previous and now - tonumber(rotatedAt) <= grace then
  return {"replayed", redis.call("HGETALL", KEYS[1])}
end
if redis.call("SISMEMBER", KEYS[2], presented) == 1 then
  redis.call("DEL", KEYS[1], KEYS[2])
  return {"reused", userId}
end
return {"invalid"}
`;

/**
 * Deletes the session if the hash is its current, previous or a spent token; returns the deleted
 * hash's fields, or nil. KEYS: session hash, spent set. ARGV: token hash.
 */
const REVOKE_WITH_TOKEN_LUA = `
local f = redis.call("HMGET", KEYS[1], "tokenHash", "previousTokenHash")
if not f[1] then
  return false
end
if f[1] == ARGV[1] or f[2] == ARGV[1] or redis.call("SISMEMBER", KEYS[2], ARGV[1]) == 1 then
  local fields = redis.call("HGETALL", KEYS[1])
  redis.call("DEL", KEYS[1], KEYS[2])
  return fields
end
return false
`;

/**
 * Deletes the session (and its spent set) if it exists and, when ARGV[1] is not empty, belongs to
 * that user; returns the owner's id, or nil. KEYS: session hash, spent set.
 */
const REVOKE_LUA = `
local userId = redis.call("HGET", KEYS[1], "userId")
if not userId or (ARGV[1] ~= "" and userId ~= ARGV[1]) then
  return false
end
redis.call("DEL", KEYS[1], KEYS[2])
return userId
`;

/** The commands `defineCommand` adds; names are specific to this module so they cannot clash. */
interface SessionScripts {
  authSessionCreate(sessionKey: string, ttlMs: string, ...fields: string[]): Promise<unknown>;
  authSessionIndex(indexKey: string, score: string, sessionId: string, ttlMs: string): Promise<unknown>;
  authSessionRotate(
    sessionKey: string,
    spentKey: string,
    presentedHash: string,
    nextHash: string,
    sealedSuccessor: string,
    nowMs: string,
    idleTtlMs: string,
    graceMs: string,
  ): Promise<unknown>;
  authSessionRevokeWithToken(sessionKey: string, spentKey: string, tokenHash: string): Promise<unknown>;
  authSessionRevoke(sessionKey: string, spentKey: string, expectedUserId: string): Promise<unknown>;
}

export function createRedisSessionStore({ client, keyPrefix }: RedisSessionStoreOptions): SessionStore {
  // defineCommand loads each script by SHA (EVALSHA, falling back to EVAL once per node), so the
  // script text crosses the wire only when a node does not know it yet.
  client.defineCommand("authSessionCreate", { numberOfKeys: 1, lua: CREATE_SESSION_LUA });
  client.defineCommand("authSessionIndex", { numberOfKeys: 1, lua: INDEX_SESSION_LUA });
  client.defineCommand("authSessionRotate", { numberOfKeys: 2, lua: ROTATE_LUA });
  client.defineCommand("authSessionRevokeWithToken", { numberOfKeys: 2, lua: REVOKE_WITH_TOKEN_LUA });
  client.defineCommand("authSessionRevoke", { numberOfKeys: 2, lua: REVOKE_LUA });
  const scripts = client as unknown as SessionScripts;

  const sessionKey = (id: string) => `${keyPrefix}session:{${id}}`;
  const spentKey = (id: string) => `${keyPrefix}session:{${id}}:spent`;
  const userIndexKey = (userId: string) => `${keyPrefix}user:{${userId}}:sessions`;

  async function revokeOne(id: string, expectedUserId: string): Promise<string | null> {
    const owner = await scripts.authSessionRevoke(sessionKey(id), spentKey(id), expectedUserId);
    return typeof owner === "string" ? owner : null;
  }

  return {
    async create(session: NewSession) {
      const nowMs = session.now.getTime();
      const absoluteMs = nowMs + session.maxLifetimeSeconds * 1000;
      const idleMs = Math.min(nowMs + session.idleTtlSeconds * 1000, absoluteMs);
      const fields: Record<string, string> = {
        userId: session.userId,
        tokenHash: session.tokenHash,
        generation: "0",
        createdAt: String(nowMs),
        lastUsedAt: String(nowMs),
        idleExpiresAt: String(idleMs),
        absoluteExpiresAt: String(absoluteMs),
      };
      if (session.userAgent !== null) fields.userAgent = session.userAgent;
      if (session.ip !== null) fields.ip = session.ip;
      fields.amr = (session.amr ?? ["pwd"]).join(" ");
      fields.authTime = String((session.authTime ?? session.now).getTime());
      // The hash first, the index second: if the second step fails, create() rejects, the token is
      // never handed out and the unindexed session just expires. The other order could leave an
      // index entry whose hash appears only later, after a concurrent reader pruned it as stale.
      await scripts.authSessionCreate(
        sessionKey(session.id),
        String(Math.max(idleMs - nowMs, 1)),
        ...Object.entries(fields).flat(),
      );
      await scripts.authSessionIndex(
        userIndexKey(session.userId),
        String(nowMs),
        session.id,
        String(Math.max(absoluteMs - nowMs, 1)),
      );
      return toRecord(session.id, fields)!;
    },

    async rotate(input: RotateInput): Promise<RotateResult> {
      const reply = await scripts.authSessionRotate(
        sessionKey(input.sessionId),
        spentKey(input.sessionId),
        input.presentedHash,
        input.nextHash,
        input.sealedSuccessor,
        String(input.now.getTime()),
        String(input.idleTtlSeconds * 1000),
        String(input.graceSeconds * 1000),
      );
      const [outcome, payload] = reply as [string, unknown];
      if (outcome === "rotated" || outcome === "replayed") {
        const fields = fromFlat(payload);
        const session = toRecord(input.sessionId, fields);
        if (!session) return { outcome: "invalid" };
        if (outcome === "rotated") return { outcome, session };
        return { outcome, session, sealedSuccessor: fields.sealedSuccessor! };
      }
      if (outcome === "reused") {
        await client.zrem(userIndexKey(String(payload)), input.sessionId);
        return { outcome, userId: String(payload) };
      }
      return { outcome: "invalid" };
    },

    async get(sessionId: string, now: Date) {
      const session = toRecord(sessionId, await client.hgetall(sessionKey(sessionId)));
      return session && isLive(session, now) ? session : null;
    },

    async revokeWithToken(sessionId: string, tokenHash: string) {
      const reply = await scripts.authSessionRevokeWithToken(sessionKey(sessionId), spentKey(sessionId), tokenHash);
      if (!Array.isArray(reply)) return null;
      const session = toRecord(sessionId, fromFlat(reply));
      if (session) await client.zrem(userIndexKey(session.userId), sessionId);
      return session;
    },

    async findByToken(sessionId: string, tokenHash: string, now: Date) {
      const fields = await client.hgetall(sessionKey(sessionId));
      if (fields.tokenHash !== tokenHash && fields.previousTokenHash !== tokenHash) return null;
      const session = toRecord(sessionId, fields);
      return session && isLive(session, now) ? session : null;
    },

    async revoke(sessionId: string) {
      const owner = await revokeOne(sessionId, "");
      if (owner === null) return false;
      await client.zrem(userIndexKey(owner), sessionId);
      return true;
    },

    async listByUser(userId: string, now: Date) {
      const indexKey = userIndexKey(userId);
      const ids = await client.zrevrange(indexKey, "0", "-1");
      // One command per session rather than a pipeline: in a cluster the hashes live in other slots.
      const hashes = await Promise.all(ids.map((id) => client.hgetall(sessionKey(id))));
      const stale: string[] = [];
      const live: SessionRecord[] = [];
      ids.forEach((id, i) => {
        const session = toRecord(id, hashes[i] ?? {});
        if (!session || session.userId !== userId) stale.push(id);
        else if (isLive(session, now)) live.push(session);
      });
      if (stale.length > 0) await client.zrem(indexKey, ...stale);
      return live.sort(newestFirst);
    },

    async revokeAllForUser(userId: string, options?: { exceptSessionId?: string }) {
      const indexKey = userIndexKey(userId);
      const ids = (await client.zrange(indexKey, "0", "-1")).filter((id) => id !== options?.exceptSessionId);
      const owners = await Promise.all(ids.map((id) => revokeOne(id, userId)));
      // Every id handled here is gone now (revoked or already stale); a session created meanwhile
      // was indexed after its hash was written and is not in `ids`.
      if (ids.length > 0) await client.zrem(indexKey, ...ids);
      return owners.filter((owner) => owner !== null).length;
    },

    async ping() {
      await client.ping();
    },
  };
}

/** A Lua table reply of HGETALL arrives as a flat [field, value, ...] array. */
function fromFlat(reply: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!Array.isArray(reply)) return fields;
  for (let i = 0; i + 1 < reply.length; i += 2) fields[String(reply[i])] = String(reply[i + 1]);
  return fields;
}

function toRecord(id: string, fields: Record<string, string>): SessionRecord | null {
  const { userId, createdAt, lastUsedAt, idleExpiresAt, absoluteExpiresAt } = fields;
  if (!userId || !createdAt || !lastUsedAt || !idleExpiresAt || !absoluteExpiresAt) return null;
  return {
    id,
    userId,
    createdAt: new Date(Number(createdAt)),
    lastUsedAt: new Date(Number(lastUsedAt)),
    idleExpiresAt: new Date(Number(idleExpiresAt)),
    absoluteExpiresAt: new Date(Number(absoluteExpiresAt)),
    userAgent: fields.userAgent ?? null,
    ip: fields.ip ?? null,
    // Sessions written before these fields existed were password logins.
    amr: fields.amr ? fields.amr.split(" ") : ["pwd"],
    authTime: new Date(Number(fields.authTime ?? createdAt)),
  };
}

function isLive(session: SessionRecord, now: Date): boolean {
  return now.getTime() < session.idleExpiresAt.getTime() && now.getTime() < session.absoluteExpiresAt.getTime();
}

function newestFirst(a: SessionRecord, b: SessionRecord): number {
  const byCreated = b.createdAt.getTime() - a.createdAt.getTime();
  if (byCreated !== 0) return byCreated;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
