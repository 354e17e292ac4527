import { and, desc, eq, exists, gt, lte, ne, or } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { type SessionRow, sessions, spentRefreshTokens } from "../db/schema.js";
import type { NewSession, RotateInput, RotateResult, SessionRecord, SessionStore } from "./store.js";
import { isUuid } from "../lib/uuid.js";

export interface SqlSessionStoreOptions {
  db: Database;
}

/** The SQL store also prunes: expired rows stay until then (they are never served, see `get`). */
export type SqlSessionStore = SessionStore & {
  /** Deletes every session expired at `now` (their spent hashes go by cascade); returns how many. */
  pruneExpired(now: Date): Promise<number>;
};

export function createSqlSessionStore({ db }: SqlSessionStoreOptions): SqlSessionStore {
  return {
    async create(session: NewSession) {
      const nowMs = session.now.getTime();
      const absoluteExpiresAt = new Date(nowMs + session.maxLifetimeSeconds * 1000);
      const idleExpiresAt = new Date(Math.min(nowMs + session.idleTtlSeconds * 1000, absoluteExpiresAt.getTime()));
      const rows = await db
        .insert(sessions)
        .values({
          id: session.id,
          userId: session.userId,
          tokenHash: session.tokenHash,
          userAgent: session.userAgent,
          ip: session.ip,
          amr: session.amr ?? ["pwd"],
          authTime: session.authTime ?? session.now,
          createdAt: session.now,
          lastUsedAt: session.now,
          idleExpiresAt,
          absoluteExpiresAt,
        })
        .returning();
      return toRecord(rows[0]!);
    },

    async rotate(input: RotateInput): Promise<RotateResult> {
      if (!isUuid(input.sessionId)) return { outcome: "invalid" };
      const now = input.now;
      // One transaction around a row lock: concurrent rotations of one session queue on the
      // `FOR UPDATE` lock, and each one that follows re-reads the row as the one before it left it
      // (READ COMMITTED re-checks a locked row once the lock is released). So exactly one sees the
      // presented hash as current; the others see it as previous (grace) or spent (reuse).
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(sessions).where(eq(sessions.id, input.sessionId)).for("update");
        if (!row || isExpired(row, now)) return { outcome: "invalid" } as const;

        if (input.presentedHash === row.tokenHash) {
          const idleExpiresAt = new Date(
            Math.min(now.getTime() + input.idleTtlSeconds * 1000, row.absoluteExpiresAt.getTime()),
          );
          const [updated] = await tx
            .update(sessions)
            .set({
              tokenHash: input.nextHash,
              previousTokenHash: input.presentedHash,
              sealedSuccessor: input.sealedSuccessor,
              rotatedAt: now,
              generation: row.generation + 1,
              lastUsedAt: now,
              idleExpiresAt,
            })
            .where(eq(sessions.id, row.id))
            .returning();
          await tx.insert(spentRefreshTokens).values({ tokenHash: input.presentedHash, sessionId: row.id });
          return { outcome: "rotated", session: toRecord(updated!) } as const;
        }

        if (
          input.graceSeconds > 0 &&
          input.presentedHash === row.previousTokenHash &&
          row.sealedSuccessor !== null &&
          row.rotatedAt !== null &&
          now.getTime() - row.rotatedAt.getTime() <= input.graceSeconds * 1000
        ) {
          return { outcome: "replayed", session: toRecord(row), sealedSuccessor: row.sealedSuccessor } as const;
        }

        const [spent] = await tx
          .select({ tokenHash: spentRefreshTokens.tokenHash })
          .from(spentRefreshTokens)
          .where(and(eq(spentRefreshTokens.sessionId, row.id), eq(spentRefreshTokens.tokenHash, input.presentedHash)));
        if (spent) {
          // A spent token came back: someone other than the session's holder may have it. Revoke the
          // whole family (the cascade removes its spent hashes).
          await tx.delete(sessions).where(eq(sessions.id, row.id));
          return { outcome: "reused", userId: row.userId } as const;
        }
        return { outcome: "invalid" } as const;
      });
    },

    async get(sessionId: string, now: Date) {
      if (!isUuid(sessionId)) return null;
      const [row] = await db
        .select()
        .from(sessions)
        .where(and(eq(sessions.id, sessionId), ...liveAt(now)));
      return row ? toRecord(row) : null;
    },

    async revokeWithToken(sessionId: string, tokenHash: string) {
      if (!isUuid(sessionId)) return null;
      // One statement, so the check and the delete cannot be separated by a rotation.
      const [row] = await db
        .delete(sessions)
        .where(
          and(
            eq(sessions.id, sessionId),
            or(
              eq(sessions.tokenHash, tokenHash),
              eq(sessions.previousTokenHash, tokenHash),
              exists(
                db
                  .select({ tokenHash: spentRefreshTokens.tokenHash })
                  .from(spentRefreshTokens)
                  .where(
                    and(eq(spentRefreshTokens.sessionId, sessions.id), eq(spentRefreshTokens.tokenHash, tokenHash)),
                  ),
              ),
            ),
          ),
        )
        .returning();
      return row ? toRecord(row) : null;
    },

    async findByToken(sessionId: string, tokenHash: string, now: Date) {
      if (!isUuid(sessionId)) return null;
      const [row] = await db
        .select()
        .from(sessions)
        .where(
          and(
            eq(sessions.id, sessionId),
            or(eq(sessions.tokenHash, tokenHash), eq(sessions.previousTokenHash, tokenHash)),
            ...liveAt(now),
          ),
        );
      return row ? toRecord(row) : null;
    },

    async revoke(sessionId: string) {
      if (!isUuid(sessionId)) return false;
      const rows = await db.delete(sessions).where(eq(sessions.id, sessionId)).returning({ id: sessions.id });
      return rows.length > 0;
    },

    async listByUser(userId: string, now: Date) {
      if (!isUuid(userId)) return [];
      const rows = await db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), ...liveAt(now)))
        .orderBy(desc(sessions.createdAt), desc(sessions.id));
      return rows.map(toRecord);
    },

    async revokeAllForUser(userId: string, options?: { exceptSessionId?: string }) {
      if (!isUuid(userId)) return 0;
      const except = options?.exceptSessionId;
      const rows = await db
        .delete(sessions)
        .where(
          and(eq(sessions.userId, userId), except !== undefined && isUuid(except) ? ne(sessions.id, except) : undefined),
        )
        .returning({ id: sessions.id });
      return rows.length;
    },

    async ping() {
      await db.select({ id: sessions.id }).from(sessions).limit(1);
    },

    async pruneExpired(now: Date) {
      const rows = await db
        .delete(sessions)
        .where(or(lte(sessions.idleExpiresAt, now), lte(sessions.absoluteExpiresAt, now)))
        .returning({ id: sessions.id });
      return rows.length;
    },
  };
}

/** Live at `now`: both expiries strictly after it (a session is expired from its expiry instant on). */
function liveAt(now: Date) {
  return [gt(sessions.idleExpiresAt, now), gt(sessions.absoluteExpiresAt, now)] as const;
}

function isExpired(row: SessionRow, now: Date): boolean {
  return now.getTime() >= row.idleExpiresAt.getTime() || now.getTime() >= row.absoluteExpiresAt.getTime();
}

function toRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.userId,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    idleExpiresAt: row.idleExpiresAt,
    absoluteExpiresAt: row.absoluteExpiresAt,
    userAgent: row.userAgent,
    ip: row.ip,
    amr: row.amr ?? ["pwd"],
    authTime: row.authTime ?? row.createdAt,
  };
}

