import type { ClientInfo } from "../auth/auth-service.js";
import type { BrowserSessions } from "./browser-sessions.js";
import type { OAuthClient } from "./clients/store.js";
import type { OAuthTokenSigner } from "./oauth-tokens.js";
import { withQuery } from "./redirect-uri.js";

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the relying party sends the browser
 * to the end_session_endpoint; the user confirms; the browser session ends; the browser goes back
 * to a `post_logout_redirect_uri` only if it is registered, exactly, for the client the request
 * names (by `client_id` or the `aud` of `id_token_hint`): anything else would be an open redirect.
 */
export interface LogoutRequest {
  client: OAuthClient | null;
  /** Validated: registered for `client`; null when none was asked for. */
  postLogoutRedirectUri: string | null;
  state: string | null;
}

export type LogoutRequestResult = { ok: true; request: LogoutRequest } | { ok: false; message: string };

export interface EndSession {
  parse(query: Record<string, string | undefined>): Promise<LogoutRequestResult>;
  /** Ends the browser session (if any); returns where the browser goes next (null: the signed-out page). */
  confirm(request: LogoutRequest, cookie: string | undefined, info: ClientInfo): Promise<string | null>;
}

export function createEndSession(options: { signer: OAuthTokenSigner; findClient: (id: string) => Promise<OAuthClient | null>; browserSessions: BrowserSessions }): EndSession {
  const { signer, findClient, browserSessions } = options;
  return {
    async parse(query) {
      const hint = query.id_token_hint;
      let clientId = query.client_id ?? null;
      if (hint) {
        const claims = await signer.verifyIdTokenHint(hint);
        if (!claims) return { ok: false, message: "The sign-out request carries an ID token this service did not issue." };
        const audience = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
        if (clientId !== null && audience !== clientId) return { ok: false, message: "The sign-out request names two different applications." };
        clientId = audience ?? null;
      }
      const client = clientId ? await findClient(clientId) : null;
      if (clientId && !client) return { ok: false, message: "The application that sent you here is not registered with this service." };
      const redirect = query.post_logout_redirect_uri ?? null;
      if (redirect !== null && (!client || !client.postLogoutRedirectUris.includes(redirect))) {
        return { ok: false, message: "The address this sign-out would send you to is not one the application registered." };
      }
      const state = query.state && query.state.length <= 2048 ? query.state : null;
      return { ok: true, request: { client, postLogoutRedirectUri: redirect, state } };
    },

    async confirm(request, cookie, info) {
      await browserSessions.end(cookie, info);
      return request.postLogoutRedirectUri ? withQuery(request.postLogoutRedirectUri, { state: request.state ?? undefined }) : null;
    },
  };
}
