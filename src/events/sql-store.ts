import { desc, eq, lt } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { securityEvents, type SecurityEventRow } from "../db/schema.js";
import { isUuid } from "../lib/uuid.js";
import type { SecurityEvent, SecurityEventStore, SecurityEventType } from "./store.js";

export interface SqlSecurityEventStoreOptions {
  db: Database;
}

/** Events live in the database whether or not sessions are in Redis: they are records, not cache. */
export function createSqlSecurityEventStore({ db }: SqlSecurityEventStoreOptions): SecurityEventStore {
  return {
    async record(event) {
      await db.insert(securityEvents).values(event);
    },

    async listByUser(userId, limit) {
      if (!isUuid(userId)) return [];
      const rows = await db
        .select()
        .from(securityEvents)
        .where(eq(securityEvents.userId, userId))
        .orderBy(desc(securityEvents.occurredAt), desc(securityEvents.id))
        .limit(limit);
      return rows.map(toEvent);
    },

    async pruneBefore(cutoff) {
      const rows = await db.delete(securityEvents).where(lt(securityEvents.occurredAt, cutoff)).returning({ id: securityEvents.id });
      return rows.length;
    },
  };
}

function toEvent(row: SecurityEventRow): SecurityEvent {
  return { ...row, type: row.type as SecurityEventType, details: row.details ?? null };
}
