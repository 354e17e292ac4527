import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
};

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey(),
    // Stored lower-cased by the service; the unique index on lower() also guards rows written by hand.
    email: text("email").notNull(),
    name: text("name"),
    passwordHash: text("password_hash").notNull(),
    roles: text("roles").array().notNull().default(sql`ARRAY['user']::text[]`),
    disabledAt: timestamp("disabled_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (table) => [uniqueIndex("users_email_lower_unique").on(sql`lower(${table.email})`)],
);

/**
 * One row per live session (one login's family of refresh tokens), used when no Redis is configured.
 * Only hashes of refresh tokens are kept; `sealed_successor` is the current token encrypted under a
 * key derived from the previous token, so only a client holding that previous token can replay it.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    previousTokenHash: text("previous_token_hash"),
    sealedSuccessor: text("sealed_successor"),
    rotatedAt: timestamp("rotated_at", { withTimezone: true, mode: "date" }),
    generation: integer("generation").notNull().default(0),
    userAgent: text("user_agent"),
    ip: text("ip"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }).notNull(),
    idleExpiresAt: timestamp("idle_expires_at", { withTimezone: true, mode: "date" }).notNull(),
    absoluteExpiresAt: timestamp("absolute_expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (table) => [index("sessions_user_id_idx").on(table.userId, table.createdAt)],
);

/** Hashes of refresh tokens already rotated out, so that any older token is recognised as reuse. */
export const spentRefreshTokens = pgTable(
  "spent_refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
  },
  (table) => [index("spent_refresh_tokens_session_id_idx").on(table.sessionId)],
);

export const schema = { users, sessions, spentRefreshTokens };
export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
