import { and, desc, eq, gt, inArray, isNull, lte } from "drizzle-orm";
import type { Database } from "../db/database.js";
import {
  oauthAuthorizationCodes,
  oauthAuthorizationRequests,
  oauthConsents,
  oauthGrants,
  type OAuthAuthorizationCodeRow,
} from "../db/schema.js";
import type { AuthorizationCodeRecord, OAuthStore } from "./store.js";

export interface SqlOAuthStoreOptions {
  db: Database;
}

/**
 * The provider's records in SQL (PostgreSQL or PGlite), always, even with Redis: a code or a
 * consent must not vanish with an eviction, and these are not on the per-request hot path.
 */
export function createSqlOAuthStore({ db }: SqlOAuthStoreOptions): OAuthStore {
  return {
    async saveCode(code) {
      await db.insert(oauthAuthorizationCodes).values(code);
    },

    async redeemCode(codeHash, now) {
      // One conditional UPDATE: of racing exchanges exactly one sets consumed_at; the row stays
      // (until it expires) so that a replay is recognised and can revoke what the first one issued.
      const [spent] = await db
        .update(oauthAuthorizationCodes)
        .set({ consumedAt: now })
        .where(and(eq(oauthAuthorizationCodes.codeHash, codeHash), isNull(oauthAuthorizationCodes.consumedAt), gt(oauthAuthorizationCodes.expiresAt, now)))
        .returning();
      if (spent) return { outcome: "redeemed", code: toCode(spent) };
      const [row] = await db
        .select({ clientId: oauthAuthorizationCodes.clientId, sessionId: oauthAuthorizationCodes.sessionId, consumedAt: oauthAuthorizationCodes.consumedAt })
        .from(oauthAuthorizationCodes)
        .where(eq(oauthAuthorizationCodes.codeHash, codeHash))
        .limit(1);
      if (row?.consumedAt) return { outcome: "replayed", clientId: row.clientId, sessionId: row.sessionId };
      return { outcome: "invalid" };
    },

    async markCodeExchanged(codeHash, sessionId) {
      await db.update(oauthAuthorizationCodes).set({ sessionId }).where(eq(oauthAuthorizationCodes.codeHash, codeHash));
    },

    async createGrant(grant) {
      await db.insert(oauthGrants).values(grant);
    },

    async getGrant(sessionId) {
      const [row] = await db.select().from(oauthGrants).where(eq(oauthGrants.sessionId, sessionId)).limit(1);
      return row ?? null;
    },

    async listGrantsByUser(userId) {
      return db.select().from(oauthGrants).where(eq(oauthGrants.userId, userId)).orderBy(desc(oauthGrants.createdAt));
    },

    async listGrantsByClient(clientId) {
      return db.select().from(oauthGrants).where(eq(oauthGrants.clientId, clientId));
    },

    async deleteGrants(sessionIds) {
      if (sessionIds.length === 0) return;
      await db.delete(oauthGrants).where(inArray(oauthGrants.sessionId, sessionIds));
    },

    async getConsent(userId, clientId) {
      const [row] = await db
        .select()
        .from(oauthConsents)
        .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.clientId, clientId)))
        .limit(1);
      return row ?? null;
    },

    async saveConsent(consent) {
      await db
        .insert(oauthConsents)
        .values(consent)
        .onConflictDoUpdate({ target: [oauthConsents.userId, oauthConsents.clientId], set: { scopes: consent.scopes, grantedAt: consent.grantedAt } });
    },

    async deleteConsent(userId, clientId) {
      const rows = await db
        .delete(oauthConsents)
        .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.clientId, clientId)))
        .returning({ clientId: oauthConsents.clientId });
      return rows.length === 1;
    },

    async listConsentsByUser(userId) {
      return db.select().from(oauthConsents).where(eq(oauthConsents.userId, userId)).orderBy(desc(oauthConsents.grantedAt));
    },

    async saveAuthorizationRequest(request) {
      await db.insert(oauthAuthorizationRequests).values(request);
    },

    async getAuthorizationRequest(idHash, now) {
      const [row] = await db
        .select()
        .from(oauthAuthorizationRequests)
        .where(and(eq(oauthAuthorizationRequests.idHash, idHash), gt(oauthAuthorizationRequests.expiresAt, now)))
        .limit(1);
      return row ?? null;
    },

    async consumeAuthorizationRequest(idHash, now) {
      const [row] = await db
        .delete(oauthAuthorizationRequests)
        .where(and(eq(oauthAuthorizationRequests.idHash, idHash), gt(oauthAuthorizationRequests.expiresAt, now)))
        .returning();
      return row ?? null;
    },

    async purgeExpired(now) {
      const codes = await db.delete(oauthAuthorizationCodes).where(lte(oauthAuthorizationCodes.expiresAt, now)).returning({ h: oauthAuthorizationCodes.codeHash });
      const requests = await db.delete(oauthAuthorizationRequests).where(lte(oauthAuthorizationRequests.expiresAt, now)).returning({ h: oauthAuthorizationRequests.idHash });
      return codes.length + requests.length;
    },
  };
}

function toCode(row: OAuthAuthorizationCodeRow): AuthorizationCodeRecord {
  const { consumedAt: _consumed, sessionId: _session, ...code } = row;
  return code;
}
