import { and, asc, eq, gt, ilike, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { type UserRow, users } from "../db/schema.js";
import type { NewUser, User, UserChanges, UserListQuery, UserStore, UserWithPasswordHash } from "./store.js";
import { isUuid } from "../lib/uuid.js";

export interface SqlUserStoreOptions {
  db: Database;
}

export function createSqlUserStore({ db }: SqlUserStoreOptions): UserStore {
  return {
    async create(user: NewUser) {
      // `ON CONFLICT DO NOTHING` without a target covers every unique index, including the one on
      // lower(email): a duplicate, even one racing in from another connection, yields no row instead
      // of a unique-violation error, so twenty concurrent registrations give one user and nineteen nulls.
      const rows = await db
        .insert(users)
        .values({ id: user.id, email: user.email, name: user.name, passwordHash: user.passwordHash })
        .onConflictDoNothing()
        .returning();
      const row = rows[0];
      return row ? toUser(row) : null;
    },

    async findByEmail(email: string) {
      // PostgreSQL refuses NUL in text (an error, not "no row"); no stored email holds one.
      if (email.includes("\0")) return null;
      // lower() on both sides matches the unique index's expression, so the index serves the lookup.
      const rows = await db
        .select()
        .from(users)
        .where(sql`lower(${users.email}) = lower(${email})`)
        .limit(1);
      const row = rows[0];
      return row ? toUserWithPasswordHash(row) : null;
    },

    async findById(id: string) {
      if (!isUuid(id)) return null;
      const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
      const row = rows[0];
      return row ? toUser(row) : null;
    },

    async findByIdWithPasswordHash(id: string) {
      if (!isUuid(id)) return null;
      const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
      const row = rows[0];
      return row ? toUserWithPasswordHash(row) : null;
    },

    async updatePasswordHash(id: string, passwordHash: string) {
      if (!isUuid(id)) return;
      await db.update(users).set({ passwordHash, updatedAt: sql`now()` }).where(eq(users.id, id));
    },

    async update(id: string, changes: UserChanges) {
      if (!isUuid(id)) return null;
      const [row] = await db
        .update(users)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(eq(users.id, id))
        .returning();
      return row ? toUser(row) : null;
    },

    async markEmailVerified(id: string, email: string) {
      if (!isUuid(id)) return null;
      const [row] = await db
        .update(users)
        .set({ emailVerified: true, updatedAt: sql`now()` })
        .where(and(eq(users.id, id), sql`lower(${users.email}) = lower(${email})`))
        .returning();
      return row ? toUser(row) : null;
    },

    async changeEmail(id: string, email: string) {
      if (!isUuid(id)) return null;
      try {
        const [row] = await db
          .update(users)
          .set({ email, emailVerified: true, updatedAt: sql`now()` })
          .where(eq(users.id, id))
          .returning();
        return row ? toUser(row) : null;
      } catch (error) {
        if (isUniqueViolation(error)) return "taken";
        throw error;
      }
    },

    async delete(id: string) {
      if (!isUuid(id)) return false;
      const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
      return rows.length > 0;
    },

    async list({ emailContains, afterId, limit }: UserListQuery) {
      if (afterId !== undefined && !isUuid(afterId)) return [];
      // PostgreSQL refuses NUL in text (an error, not "no row"); no stored email holds one.
      if (emailContains?.includes("\0")) return [];
      const rows = await db
        .select()
        .from(users)
        .where(
          and(
            emailContains ? ilike(users.email, `%${escapeLikePattern(emailContains.toLowerCase())}%`) : undefined,
            afterId ? gt(users.id, afterId) : undefined,
          ),
        )
        .orderBy(asc(users.id))
        .limit(limit);
      return rows.map(toUser);
    },
  };
}

/** SQLSTATE 23505, from postgres.js or PGlite, possibly wrapped by drizzle (DrizzleQueryError's cause). */
function isUniqueViolation(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if ((current as { code?: unknown }).code === "23505") return true;
  }
  return false;
}

/** A search term is text, not a pattern: `%`, `_` and `\\` match themselves. */
function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles,
    emailVerified: row.emailVerified,
    disabledAt: row.disabledAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toUserWithPasswordHash(row: UserRow): UserWithPasswordHash {
  return { ...toUser(row), passwordHash: row.passwordHash };
}

