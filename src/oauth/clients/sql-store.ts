import { asc, eq, lt } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { toHex } from "../../lib/encoding.js";
import { oauthClientAssertions, oauthClients, type OAuthClientRow } from "../../db/schema.js";
import type { ClientAuthMethod, ClientStore, GrantType, OAuthClient } from "./store.js";

export interface SqlClientStoreOptions {
  db: Database;
}

/** The client registry in SQL (PostgreSQL or PGlite). */
export function createSqlClientStore({ db }: SqlClientStoreOptions): ClientStore {
  return {
    async create(client, secretHash) {
      const [row] = await db
        .insert(oauthClients)
        .values({ ...client, secretHash })
        .returning();
      return toClient(row!);
    },

    async get(id) {
      const [row] = await db.select().from(oauthClients).where(eq(oauthClients.id, id)).limit(1);
      return row ? toClient(row) : null;
    },

    async list() {
      const rows = await db.select().from(oauthClients).orderBy(asc(oauthClients.createdAt), asc(oauthClients.id));
      return rows.map(toClient);
    },

    async update(id, patch, now) {
      const [row] = await db
        .update(oauthClients)
        .set({ ...patch, updatedAt: now })
        .where(eq(oauthClients.id, id))
        .returning();
      return row ? toClient(row) : null;
    },

    async delete(id) {
      const rows = await db.delete(oauthClients).where(eq(oauthClients.id, id)).returning({ id: oauthClients.id });
      return rows.length === 1;
    },

    async secretHash(id) {
      const [row] = await db.select({ secretHash: oauthClients.secretHash }).from(oauthClients).where(eq(oauthClients.id, id)).limit(1);
      return row?.secretHash ?? null;
    },

    async setSecretHash(id, hash, now) {
      const rows = await db.update(oauthClients).set({ secretHash: hash, updatedAt: now }).where(eq(oauthClients.id, id)).returning({ id: oauthClients.id });
      return rows.length === 1;
    },

    async spendAssertion(clientId, jti, expiresAt, now) {
      // Expired entries first (the expires_at index makes this cheap): an assertion past its exp is
      // refused before it gets here, so its jti no longer needs remembering.
      await db.delete(oauthClientAssertions).where(lt(oauthClientAssertions.expiresAt, now));
      // The primary key decides under concurrency: of racing inserts of one jti exactly one adds a row.
      const rows = await db
        .insert(oauthClientAssertions)
        .values({ jtiHash: await assertionKey(clientId, jti), clientId, expiresAt })
        .onConflictDoNothing({ target: oauthClientAssertions.jtiHash })
        .returning({ jtiHash: oauthClientAssertions.jtiHash });
      return rows.length === 1;
    },
  };
}

/** SHA-256 (hex) of `client_id \0 jti`: one fixed-length key per client and jti, whatever the client put in its jti. */
async function assertionKey(clientId: string, jti: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${clientId}\0${jti}`))));
}

function toClient(row: OAuthClientRow): OAuthClient {
  return {
    id: row.id,
    name: row.name,
    type: row.type as OAuthClient["type"],
    redirectUris: row.redirectUris,
    postLogoutRedirectUris: row.postLogoutRedirectUris,
    grantTypes: row.grantTypes as GrantType[],
    scopes: row.scopes,
    firstParty: row.firstParty,
    tokenEndpointAuthMethod: row.tokenEndpointAuthMethod as ClientAuthMethod,
    jwks: row.jwks ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
