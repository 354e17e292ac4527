import type { SessionStore } from "../sessions/store.js";
import type { OAuthStore } from "./store.js";

/** What ending a grant touches: its session (the refresh token family, and the `sid` its access tokens name) and its row. */
export interface GrantStorage {
  sessions: Pick<SessionStore, "revoke">;
  store: Pick<OAuthStore, "deleteGrants" | "listGrantsByClient">;
}

/** Ends these grants: their sessions revoked first (access tokens die with them), then their rows. */
export async function endGrants({ sessions, store }: { sessions: GrantStorage["sessions"]; store: Pick<OAuthStore, "deleteGrants"> }, sessionIds: string[]): Promise<void> {
  await Promise.all(sessionIds.map((id) => sessions.revoke(id)));
  await store.deleteGrants(sessionIds);
}

/**
 * Ends every grant of a client, before the client is deleted (its rows would go with it by the
 * foreign keys, but its sessions live in the session store, possibly Redis). Used by the admin API
 * and the CLI alike.
 */
export async function endClientGrants(storage: GrantStorage, clientId: string): Promise<void> {
  const grants = await storage.store.listGrantsByClient(clientId);
  await endGrants(storage, grants.map((grant) => grant.sessionId));
}
