import type { RecordSecurityEvent } from "../events/recorder.js";
import { ProblemError } from "../http/problem.js";
import type { Caller } from "../users/account-service.js";
import type { OAuthClient } from "./clients/index.js";
import { endGrants, type GrantStorage } from "./grants.js";
import type { OAuthStore } from "./store.js";

/** The client as its user sees it: enough to recognise the application. */
export interface ClientSummary {
  id: string;
  name: string;
}

export interface ConsentSummary {
  client: ClientSummary;
  scopes: string[];
  grantedAt: Date;
}

/**
 * What a user sees of the applications they let in: the consents they gave third-party clients
 * (GET /me/consents), which of their sessions is which client's grant (GET /sessions), and taking an
 * application's access back (DELETE /me/consents/{client_id}).
 */
export interface UserApplications {
  listConsents(userId: string): Promise<ConsentSummary[]>;
  /** Session id -> the client whose grant the session is, for the user's OAuth grants. */
  clientsBySession(userId: string): Promise<Map<string, ClientSummary>>;
  /**
   * Forgets the consent and ends every grant the user gave the client (their refresh tokens and
   * access tokens stop working at once), so the next authorization asks again. NOT_FOUND when the
   * user has neither with this client.
   */
  revoke(caller: Caller, clientId: string): Promise<void>;
}

export interface UserApplicationsOptions {
  store: Pick<OAuthStore, "listConsentsByUser" | "listGrantsByUser" | "deleteConsent" | "deleteGrants">;
  sessions: GrantStorage["sessions"];
  findClient: (id: string) => Promise<OAuthClient | null>;
  recordEvent: RecordSecurityEvent;
}

export function createUserApplications({ store, sessions, findClient, recordEvent }: UserApplicationsOptions): UserApplications {
  /** Names of the clients, each looked up once; a client deleted meanwhile has no rows left (cascade), so a miss is skipped. */
  async function summariesOf(clientIds: string[]): Promise<Map<string, ClientSummary>> {
    const unique = [...new Set(clientIds)];
    const clients = await Promise.all(unique.map((id) => findClient(id)));
    return new Map(clients.filter((client) => client !== null).map((client) => [client.id, { id: client.id, name: client.name }]));
  }

  return {
    async listConsents(userId) {
      const consents = await store.listConsentsByUser(userId);
      const clients = await summariesOf(consents.map((consent) => consent.clientId));
      return consents.flatMap((consent) => {
        const client = clients.get(consent.clientId);
        return client ? [{ client, scopes: consent.scopes, grantedAt: consent.grantedAt }] : [];
      });
    },

    async clientsBySession(userId) {
      const grants = await store.listGrantsByUser(userId);
      const clients = await summariesOf(grants.map((grant) => grant.clientId));
      const bySession = new Map<string, ClientSummary>();
      for (const grant of grants) {
        const client = clients.get(grant.clientId);
        if (client) bySession.set(grant.sessionId, client);
      }
      return bySession;
    },

    async revoke(caller, clientId) {
      const grants = (await store.listGrantsByUser(caller.userId)).filter((grant) => grant.clientId === clientId);
      const hadConsent = await store.deleteConsent(caller.userId, clientId);
      if (!hadConsent && grants.length === 0) {
        throw new ProblemError("NOT_FOUND", { detail: "You have not given this client access." });
      }
      await endGrants({ sessions, store }, grants.map((grant) => grant.sessionId));
      await recordEvent("oauth_consent_revoked", { ...caller, details: { client_id: clientId, grants_ended: grants.length } });
    },
  };
}
