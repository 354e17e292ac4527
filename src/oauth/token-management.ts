import type { JWTPayload } from "jose";
import type { ClientInfo } from "../auth/auth-service.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import { hashRefreshToken } from "../sessions/refresh-tokens.js";
import type { SessionStore } from "../sessions/store.js";
import type { UserStore } from "../users/store.js";
import type { OAuthClient } from "./clients/store.js";
import { OAuthError } from "./errors.js";
import type { OAuthTokenSigner } from "./oauth-tokens.js";
import type { OAuthStore } from "./store.js";
import { sessionIdOfOAuthRefreshToken } from "./token-endpoint.js";
import { userClaims, type UserInfo } from "./userinfo-claims.js";

/**
 * What a client or a resource server asks about tokens after they were issued: revocation (RFC
 * 7009), introspection (RFC 7662) and userinfo (OIDC Core §5.3). An access token is live only while
 * its session is (a revoked grant ends its access tokens at once, not at their expiry).
 */
export interface IntrospectionResponse {
  active: boolean;
  [claim: string]: unknown;
}

export interface TokenManagement {
  /** RFC 7009 §2.2: always succeeds for the client (an unknown or foreign token changes nothing). */
  revoke(client: OAuthClient, token: string | undefined, info: ClientInfo): Promise<void>;
  introspect(client: OAuthClient, token: string | undefined): Promise<IntrospectionResponse>;
  /** The claims of the token's user for its scopes; OAuthError invalid_token / insufficient_scope otherwise. */
  userinfo(accessToken: string | undefined): Promise<UserInfo>;
}

export interface TokenManagementOptions {
  store: OAuthStore;
  sessions: SessionStore;
  users: Pick<UserStore, "findById">;
  signer: OAuthTokenSigner;
  issuer: string;
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
}

export function createTokenManagement(options: TokenManagementOptions): TokenManagement {
  const { store, sessions, users, signer, clock, recordEvent } = options;

  /** An access token's claims while it, its session and its user are all live; else null. */
  async function liveAccessToken(token: string): Promise<JWTPayload | null> {
    const claims = await signer.verifyAccessToken(token, clock());
    if (!claims) return null;
    if (typeof claims.sid !== "string") return claims; // a machine token (client_credentials): no session backs it
    const session = await sessions.get(claims.sid, clock());
    if (!session || session.userId !== claims.sub) return null;
    const user = await users.findById(session.userId);
    return user && !user.disabledAt ? claims : null;
  }

  async function endGrant(sessionId: string, userId: string, client: OAuthClient, info: ClientInfo): Promise<void> {
    if (!(await sessions.revoke(sessionId))) return;
    await store.deleteGrants([sessionId]);
    await recordEvent("session_revoked", { userId, sessionId, userAgent: info.userAgent, ip: info.ip, details: { client_id: client.id, via: "oauth_revocation" } });
  }

  return {
    async revoke(client, token, info) {
      if (!token) throw new OAuthError("invalid_request", "token is required");
      const refreshSessionId = sessionIdOfOAuthRefreshToken(token);
      if (refreshSessionId) {
        const grant = await store.getGrant(refreshSessionId);
        if (!grant || grant.clientId !== client.id) return;
        const session = await sessions.findByToken(refreshSessionId, await hashRefreshToken(token), clock());
        if (session) await endGrant(refreshSessionId, grant.userId, client, info);
        return;
      }
      // An access token: revoking it ends the grant behind it (RFC 7009 §2.1 lets the server
      // revoke related tokens), because a JWT cannot be recalled on its own.
      const claims = await signer.verifyAccessToken(token, clock());
      if (!claims || claims.client_id !== client.id || typeof claims.sid !== "string" || typeof claims.sub !== "string") return;
      const grant = await store.getGrant(claims.sid);
      if (grant && grant.clientId === client.id) await endGrant(claims.sid, claims.sub, client, info);
    },

    async introspect(client, token) {
      // RFC 7662 §2.1 asks the endpoint to be protected; §4: only confidential clients (resource servers) may ask.
      if (client.type !== "confidential") throw new OAuthError("invalid_client", "introspection is for confidential clients", 401);
      if (!token) throw new OAuthError("invalid_request", "token is required");
      const refreshSessionId = sessionIdOfOAuthRefreshToken(token);
      if (refreshSessionId) {
        // A refresh token is shown only to the client that holds it.
        const grant = await store.getGrant(refreshSessionId);
        if (!grant || grant.clientId !== client.id) return { active: false };
        const session = await sessions.findByToken(refreshSessionId, await hashRefreshToken(token), clock());
        if (!session) return { active: false };
        return {
          active: true,
          token_type: "refresh_token",
          client_id: grant.clientId,
          sub: grant.userId,
          scope: grant.scopes.join(" "),
          iss: options.issuer,
          exp: Math.floor(session.idleExpiresAt.getTime() / 1000),
          iat: Math.floor(session.createdAt.getTime() / 1000),
        };
      }
      const claims = await liveAccessToken(token);
      if (!claims) return { active: false };
      return {
        active: true,
        token_type: "Bearer",
        client_id: claims.client_id,
        sub: claims.sub,
        scope: claims.scope,
        aud: claims.aud,
        iss: claims.iss,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        ...(claims.sid !== undefined && { sid: claims.sid }),
      };
    },

    async userinfo(accessToken) {
      if (!accessToken) throw new OAuthError("invalid_token", "a Bearer access token is required");
      const claims = await liveAccessToken(accessToken);
      if (!claims || typeof claims.sid !== "string" || typeof claims.sub !== "string") throw new OAuthError("invalid_token", "the access token is invalid, expired or revoked");
      const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
      if (!scopes.includes("openid")) throw new OAuthError("insufficient_scope", "userinfo needs the openid scope", 403);
      const user = await users.findById(claims.sub);
      if (!user) throw new OAuthError("invalid_token", "the access token is invalid, expired or revoked");
      return { sub: user.id, ...userClaims(user, scopes) };
    },
  };
}
