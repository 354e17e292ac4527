import { and, eq, gt, inArray, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { oneTimeTokens, type OneTimeTokenRow } from "../db/schema.js";
import type { OneTimeTokenPurpose, OneTimeTokenRecord, OneTimeTokenStore } from "./token-store.js";

export interface SqlOneTimeTokenStoreOptions {
  db: Database;
}

/** One-time tokens in SQL (PostgreSQL or PGlite), always: they outlive any Redis eviction policy. */
export function createSqlOneTimeTokenStore({ db }: SqlOneTimeTokenStoreOptions): OneTimeTokenStore {
  const live = (tokenHash: string, purposes: readonly OneTimeTokenPurpose[], now: Date) =>
    and(eq(oneTimeTokens.tokenHash, tokenHash), inArray(oneTimeTokens.purpose, [...purposes]), isNull(oneTimeTokens.consumedAt), gt(oneTimeTokens.expiresAt, now));

  return {
    async create(record) {
      await db.insert(oneTimeTokens).values({
        tokenHash: record.tokenHash,
        userId: record.userId,
        purpose: record.purpose,
        email: record.email,
        createdAt: record.createdAt,
        expiresAt: record.expiresAt,
      });
    },

    async peek(tokenHash, purposes, now) {
      const [row] = await db.select().from(oneTimeTokens).where(live(tokenHash, purposes, now)).limit(1);
      return row ? toRecord(row) : null;
    },

    async consume(tokenHash, purposes, now) {
      // One conditional UPDATE … RETURNING: the row lock makes concurrent updates of the same row
      // wait, and each re-checks `consumed_at IS NULL` once the first commits, so exactly one
      // returns the row. No read-then-write, no transaction needed.
      const [row] = await db.update(oneTimeTokens).set({ consumedAt: now }).where(live(tokenHash, purposes, now)).returning();
      return row ? toRecord(row) : null;
    },

    async revokeAll(userId, purpose, now) {
      const rows = await db
        .update(oneTimeTokens)
        .set({ consumedAt: now })
        .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.consumedAt), gt(oneTimeTokens.expiresAt, now)))
        .returning({ tokenHash: oneTimeTokens.tokenHash });
      return rows.length;
    },

    async pruneBefore(cutoff) {
      const rows = await db
        .delete(oneTimeTokens)
        .where(or(lt(oneTimeTokens.expiresAt, cutoff), lt(oneTimeTokens.consumedAt, cutoff)))
        .returning({ tokenHash: oneTimeTokens.tokenHash });
      return rows.length;
    },
  };
}

function toRecord(row: OneTimeTokenRow): OneTimeTokenRecord {
  return { userId: row.userId, purpose: row.purpose as OneTimeTokenPurpose, email: row.email, createdAt: row.createdAt, expiresAt: row.expiresAt };
}
