import { and, asc, count, eq, gt, lt } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { passkeyChallenges, passkeyCredentials, type PasskeyChallengeRow, type PasskeyCredentialRow } from "../db/schema.js";
import type { PasskeyCeremony, PasskeyChallengeRecord, PasskeyRecord, PasskeyStore } from "./store.js";

export interface SqlPasskeyStoreOptions {
  db: Database;
}

/** Passkeys in SQL (PostgreSQL or PGlite), always: a Redis eviction must never lose a credential or revive a challenge. */
export function createSqlPasskeyStore({ db }: SqlPasskeyStoreOptions): PasskeyStore {
  return {
    async createCredential(record) {
      // The unique index decides under concurrency; a duplicate is an answer, not an error.
      const rows = await db
        .insert(passkeyCredentials)
        .values({ ...record, transports: record.transports })
        .onConflictDoNothing({ target: passkeyCredentials.credentialId })
        .returning({ id: passkeyCredentials.id });
      return rows.length === 1;
    },

    async findByCredentialId(credentialId) {
      const [row] = await db.select().from(passkeyCredentials).where(eq(passkeyCredentials.credentialId, credentialId)).limit(1);
      return row ? toPasskey(row) : null;
    },

    async listByUser(userId) {
      const rows = await db.select().from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId)).orderBy(asc(passkeyCredentials.createdAt), asc(passkeyCredentials.id));
      return rows.map(toPasskey);
    },

    async countByUser(userId) {
      const [row] = await db.select({ n: count() }).from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId));
      return Number(row?.n ?? 0);
    },

    async recordUse(id, { signCount, backedUp, now }) {
      // One conditional UPDATE: concurrent ones wait on the row lock and re-check the counter once
      // the first commits, so one counter value is accepted at most once.
      const rows = await db
        .update(passkeyCredentials)
        .set({ signCount, backedUp, lastUsedAt: now })
        .where(
          and(
            eq(passkeyCredentials.id, id),
            signCount === 0 ? eq(passkeyCredentials.signCount, 0) : lt(passkeyCredentials.signCount, signCount),
          ),
        )
        .returning({ id: passkeyCredentials.id });
      return rows.length === 1;
    },

    async deleteCredential(userId, id) {
      const rows = await db
        .delete(passkeyCredentials)
        .where(and(eq(passkeyCredentials.id, id), eq(passkeyCredentials.userId, userId)))
        .returning({ id: passkeyCredentials.id });
      return rows.length === 1;
    },

    async deleteAllForUser(userId) {
      const rows = await db.delete(passkeyCredentials).where(eq(passkeyCredentials.userId, userId)).returning({ id: passkeyCredentials.id });
      return rows.length;
    },

    async createChallenge(challenge) {
      await db.insert(passkeyChallenges).values(challenge);
    },

    async consumeChallenge(challengeHash, ceremony, now) {
      // DELETE ... RETURNING: the one statement that finds the row removes it, so of racing uses
      // exactly one gets it, and a spent challenge leaves nothing behind to answer again.
      const [row] = await db
        .delete(passkeyChallenges)
        .where(and(eq(passkeyChallenges.challengeHash, challengeHash), eq(passkeyChallenges.ceremony, ceremony), gt(passkeyChallenges.expiresAt, now)))
        .returning();
      return row ? toChallenge(row) : null;
    },

    async pruneBefore(cutoff) {
      const rows = await db
        .delete(passkeyChallenges)
        .where(lt(passkeyChallenges.expiresAt, cutoff))
        .returning({ challengeHash: passkeyChallenges.challengeHash });
      return rows.length;
    },
  };
}

function toPasskey(row: PasskeyCredentialRow): PasskeyRecord {
  return {
    id: row.id,
    userId: row.userId,
    credentialId: row.credentialId,
    publicKey: row.publicKey,
    signCount: row.signCount,
    transports: row.transports,
    deviceType: row.deviceType,
    backedUp: row.backedUp,
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  };
}

function toChallenge(row: PasskeyChallengeRow): PasskeyChallengeRecord {
  return { ceremony: row.ceremony as PasskeyCeremony, userId: row.userId, mfaTokenHash: row.mfaTokenHash, createdAt: row.createdAt, expiresAt: row.expiresAt };
}
