import { and, count, eq, gt, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { mfaLoginChallenges, mfaRecoveryCodes, mfaTotpFactors, type MfaLoginChallengeRow } from "../db/schema.js";
import type { LoginChallengeRecord, MfaStore } from "./store.js";

export interface SqlMfaStoreOptions {
  db: Database;
}

/** Second factors in SQL (PostgreSQL or PGlite), always: a Redis eviction must never lose a factor or revive a spent code. */
export function createSqlMfaStore({ db }: SqlMfaStoreOptions): MfaStore {
  const liveChallenge = (tokenHash: string, now: Date) =>
    and(eq(mfaLoginChallenges.tokenHash, tokenHash), isNull(mfaLoginChallenges.consumedAt), gt(mfaLoginChallenges.expiresAt, now));

  return {
    async findTotp(userId) {
      const [row] = await db.select().from(mfaTotpFactors).where(eq(mfaTotpFactors.userId, userId)).limit(1);
      return row ?? null;
    },

    async putPendingTotp(userId, secretSealed, now) {
      // An upsert that leaves a confirmed factor alone: the WHERE of ON CONFLICT DO UPDATE decides
      // under the row lock, so a concurrent confirmation is never overwritten.
      const rows = await db
        .insert(mfaTotpFactors)
        .values({ userId, secretSealed, createdAt: now, confirmedAt: null, lastStep: -1 })
        .onConflictDoUpdate({
          target: mfaTotpFactors.userId,
          set: { secretSealed, createdAt: now, lastStep: -1 },
          setWhere: isNull(mfaTotpFactors.confirmedAt),
        })
        .returning({ userId: mfaTotpFactors.userId });
      return rows.length === 1;
    },

    async acceptTotpStep(userId, step, now, { confirm }) {
      // One conditional UPDATE: concurrent updates of the row wait on its lock and re-check
      // `last_step < step` once the first commits, so a step is accepted at most once.
      const rows = await db
        .update(mfaTotpFactors)
        .set({ lastStep: step, ...(confirm && { confirmedAt: now }) })
        .where(
          and(
            eq(mfaTotpFactors.userId, userId),
            lt(mfaTotpFactors.lastStep, step),
            confirm ? isNull(mfaTotpFactors.confirmedAt) : isNotNull(mfaTotpFactors.confirmedAt),
          ),
        )
        .returning({ userId: mfaTotpFactors.userId });
      return rows.length === 1;
    },

    async deleteTotp(userId) {
      return db.transaction(async (tx) => {
        await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
        const rows = await tx.delete(mfaTotpFactors).where(eq(mfaTotpFactors.userId, userId)).returning({ userId: mfaTotpFactors.userId });
        return rows.length === 1;
      });
    },

    async replaceRecoveryCodes(userId, codeHashes, now) {
      await db.transaction(async (tx) => {
        await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
        if (codeHashes.length > 0) await tx.insert(mfaRecoveryCodes).values(codeHashes.map((codeHash) => ({ codeHash, userId, createdAt: now })));
      });
    },

    async consumeRecoveryCode(userId, codeHash, now) {
      const rows = await db
        .update(mfaRecoveryCodes)
        .set({ usedAt: now })
        .where(and(eq(mfaRecoveryCodes.codeHash, codeHash), eq(mfaRecoveryCodes.userId, userId), isNull(mfaRecoveryCodes.usedAt)))
        .returning({ codeHash: mfaRecoveryCodes.codeHash });
      return rows.length === 1;
    },

    async countRecoveryCodes(userId) {
      const [row] = await db
        .select({ n: count() })
        .from(mfaRecoveryCodes)
        .where(and(eq(mfaRecoveryCodes.userId, userId), isNull(mfaRecoveryCodes.usedAt)));
      return Number(row?.n ?? 0);
    },

    async createLoginChallenge(challenge) {
      await db.insert(mfaLoginChallenges).values({
        tokenHash: challenge.tokenHash,
        userId: challenge.userId,
        createdAt: challenge.createdAt,
        expiresAt: challenge.expiresAt,
        failedAttempts: challenge.failedAttempts,
      });
    },

    async peekLoginChallenge(tokenHash, now) {
      const [row] = await db.select().from(mfaLoginChallenges).where(liveChallenge(tokenHash, now)).limit(1);
      return row ? toChallenge(row) : null;
    },

    async consumeLoginChallenge(tokenHash, now) {
      const [row] = await db.update(mfaLoginChallenges).set({ consumedAt: now }).where(liveChallenge(tokenHash, now)).returning();
      return row ? toChallenge(row) : null;
    },

    async failLoginChallenge(tokenHash, now, maxAttempts) {
      // The increment and the spending in one statement: the failure that reaches the limit ends it.
      const [row] = await db
        .update(mfaLoginChallenges)
        .set({
          failedAttempts: sql`${mfaLoginChallenges.failedAttempts} + 1`,
          consumedAt: sql`case when ${mfaLoginChallenges.failedAttempts} + 1 >= ${maxAttempts} then ${now.toISOString()}::timestamptz else null end`,
        })
        .where(liveChallenge(tokenHash, now))
        .returning({ failedAttempts: mfaLoginChallenges.failedAttempts });
      return row ? row.failedAttempts : null;
    },

    async pruneBefore(cutoff) {
      const rows = await db
        .delete(mfaLoginChallenges)
        .where(or(lt(mfaLoginChallenges.expiresAt, cutoff), lt(mfaLoginChallenges.consumedAt, cutoff)))
        .returning({ tokenHash: mfaLoginChallenges.tokenHash });
      return rows.length;
    },
  };
}

function toChallenge(row: MfaLoginChallengeRow): LoginChallengeRecord {
  return { userId: row.userId, createdAt: row.createdAt, expiresAt: row.expiresAt, failedAttempts: row.failedAttempts };
}
