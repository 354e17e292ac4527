import { uuidv7 } from "uuidv7";
import { sha256Base64Url } from "../lib/encoding.js";
import type { ClientInfo, SessionLifetimes } from "../auth/auth-service.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import { createRefreshToken, hashRefreshToken, openSuccessor, sealSuccessor, sessionIdOfRefreshToken } from "../sessions/refresh-tokens.js";
import type { SessionRecord, SessionStore } from "../sessions/store.js";
import type { User, UserStore } from "../users/store.js";
import { randomValue } from "./authorization.js";
import type { OAuthClient } from "./clients/store.js";
import { OAuthError } from "./errors.js";
import type { OAuthTokenSigner } from "./oauth-tokens.js";
import { verifierMatches } from "./pkce.js";
import { OIDC_SCOPES, parseScope } from "./scopes.js";
import type { OAuthGrantRecord, OAuthStore } from "./store.js";
import { userClaims } from "./userinfo-claims.js";

/**
 * The token endpoint's grants (OAuth 2.1 §4.1.3, §4.2, §4.3): `authorization_code` (PKCE, single
 * use, a replay revokes what the first exchange issued), `refresh_token` (rotation and reuse
 * detection through the session store) and `client_credentials`. The client is already
 * authenticated (client-authentication.ts) when a grant runs.
 */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

export type TokenForm = Record<string, string | undefined>;

export interface TokenEndpoint {
  exchange(client: OAuthClient, form: TokenForm, info: ClientInfo): Promise<TokenResponse>;
}

export interface TokenEndpointOptions {
  store: OAuthStore;
  sessions: SessionStore;
  users: Pick<UserStore, "findById">;
  signer: OAuthTokenSigner;
  lifetimes: SessionLifetimes;
  /** The `aud` of access tokens without an RFC 8707 resource: this service's API (JWT_AUDIENCE). */
  defaultAudience: string;
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
}

/**
 * OAuth refresh tokens are `rt.` + a refresh-token-shaped value, hashed whole: the API's /refresh
 * never accepts one (wrong length) nor the bare value inside (another hash), so a client's grant
 * cannot be stretched into first-party tokens outside its scopes.
 */
const REFRESH_PREFIX = "rt.";

/** The session id an OAuth refresh token names, or null for anything else. */
export function sessionIdOfOAuthRefreshToken(token: string): string | null {
  return token.startsWith(REFRESH_PREFIX) ? sessionIdOfRefreshToken(token.slice(REFRESH_PREFIX.length)) : null;
}


export function createTokenEndpoint(options: TokenEndpointOptions): TokenEndpoint {
  const { store, sessions, users, signer, lifetimes, clock, recordEvent } = options;
  const invalidGrant = (description: string) => new OAuthError("invalid_grant", description);

  function required(form: TokenForm, name: string): string {
    const value = form[name];
    if (value === undefined || value === "") throw new OAuthError("invalid_request", `${name} is required`);
    return value;
  }

  function allowGrant(client: OAuthClient, grant: "authorization_code" | "refresh_token" | "client_credentials"): void {
    if (!client.grantTypes.includes(grant)) throw new OAuthError("unauthorized_client", `this client may not use the ${grant} grant`);
  }

  async function liveUser(userId: string): Promise<User | null> {
    const user = await users.findById(userId);
    return user && !user.disabledAt ? user : null;
  }

  async function tokensFor(client: OAuthClient, user: User, grant: OAuthGrantRecord, session: SessionRecord, refreshToken: string | undefined, nonce: string | null, browserSessionId: string | null, now: Date): Promise<TokenResponse> {
    const accessToken = await signer.signAccessToken(
      { subject: user.id, clientId: client.id, scopes: grant.scopes, audience: grant.resource ?? options.defaultAudience, sessionId: session.id, roles: user.roles, amr: session.amr, authTime: session.authTime },
      now,
    );
    const response: TokenResponse = { access_token: accessToken, token_type: "Bearer", expires_in: signer.accessTokenTtlSeconds, scope: grant.scopes.join(" ") };
    if (refreshToken) response.refresh_token = refreshToken;
    if (grant.scopes.includes("openid")) {
      response.id_token = await signer.signIdToken(
        { subject: user.id, clientId: client.id, nonce, authTime: session.authTime, amr: session.amr, sessionId: browserSessionId, accessToken, claims: userClaims(user, grant.scopes) },
        now,
      );
    }
    return response;
  }

  async function authorizationCode(client: OAuthClient, form: TokenForm, info: ClientInfo): Promise<TokenResponse> {
    allowGrant(client, "authorization_code");
    const code = required(form, "code");
    const redirectUri = required(form, "redirect_uri");
    const verifier = required(form, "code_verifier");
    const now = clock();
    const result = await store.redeemCode(await sha256Base64Url(code), now);
    if (result.outcome === "invalid") throw invalidGrant("the code is invalid or expired");
    if (result.outcome === "replayed") {
      // RFC 6749 §4.1.2 / OAuth 2.1 §4.1.3: a code used twice was stolen or leaked; what the
      // first exchange issued is revoked (its refresh token and, through the session, its access tokens).
      if (result.sessionId) {
        const grant = await store.getGrant(result.sessionId);
        await sessions.revoke(result.sessionId);
        await store.deleteGrants([result.sessionId]);
        if (grant) await recordEvent("oauth_code_reused", { userId: grant.userId, sessionId: result.sessionId, userAgent: info.userAgent, ip: info.ip, details: { client_id: result.clientId } });
      }
      throw invalidGrant("the code was already used");
    }
    const record = result.code;
    if (record.clientId !== client.id) throw invalidGrant("the code was issued to another client");
    if (record.redirectUri !== redirectUri) throw invalidGrant("redirect_uri differs from the authorization request's");
    if (!(await verifierMatches(verifier, record.codeChallenge))) throw invalidGrant("code_verifier does not match the code_challenge");
    const user = await liveUser(record.userId);
    if (!user) throw invalidGrant("the user is gone or disabled");

    const sessionId = uuidv7();
    const offline = record.scopes.includes("offline_access") && client.grantTypes.includes("refresh_token");
    // Without offline_access the grant still is a session (access tokens name it, so revoking it
    // ends them), but its token is a random value handed to no one.
    const refreshToken = offline ? REFRESH_PREFIX + createRefreshToken(sessionId) : undefined;
    const session = await sessions.create({
      id: sessionId,
      userId: user.id,
      tokenHash: await hashRefreshToken(refreshToken ?? randomValue()),
      userAgent: info.userAgent,
      ip: info.ip,
      now,
      idleTtlSeconds: offline ? lifetimes.refreshTokenTtlSeconds : Math.max(signer.accessTokenTtlSeconds, 60),
      maxLifetimeSeconds: offline ? lifetimes.sessionMaxLifetimeSeconds : Math.max(signer.accessTokenTtlSeconds, 60),
      amr: record.amr,
      authTime: record.authTime,
    });
    const grant: OAuthGrantRecord = { sessionId, clientId: client.id, userId: user.id, scopes: record.scopes, resource: record.resource, createdAt: now };
    await store.createGrant(grant);
    await store.markCodeExchanged(record.codeHash, sessionId);
    await recordEvent("oauth_authorized", { userId: user.id, sessionId, userAgent: info.userAgent, ip: info.ip, details: { client_id: client.id, scopes: record.scopes } });
    return tokensFor(client, user, grant, session, refreshToken, record.nonce, record.browserSessionId, now);
  }

  async function refresh(client: OAuthClient, form: TokenForm, info: ClientInfo): Promise<TokenResponse> {
    allowGrant(client, "refresh_token");
    const presented = required(form, "refresh_token");
    const sessionId = sessionIdOfOAuthRefreshToken(presented);
    if (!sessionId) throw invalidGrant("the refresh token is invalid");
    const grant = await store.getGrant(sessionId);
    // RFC 6749 §6: bound to the client it was issued to; checked before rotating, so another
    // client's attempt spends nothing.
    if (!grant || grant.clientId !== client.id) throw invalidGrant("the refresh token is invalid");
    const requestedScopes = parseScope(form.scope);
    if (requestedScopes === null || !requestedScopes.every((scope) => grant.scopes.includes(scope))) throw new OAuthError("invalid_scope", "a refresh may only narrow the granted scopes");

    const now = clock();
    const successor = REFRESH_PREFIX + createRefreshToken(sessionId);
    const result = await sessions.rotate({
      sessionId,
      presentedHash: await hashRefreshToken(presented),
      nextHash: await hashRefreshToken(successor),
      sealedSuccessor: await sealSuccessor(presented, successor),
      now,
      idleTtlSeconds: lifetimes.refreshTokenTtlSeconds,
      graceSeconds: lifetimes.refreshReuseGraceSeconds,
    });
    let token: string;
    let session: SessionRecord;
    switch (result.outcome) {
      case "rotated":
        token = successor;
        session = result.session;
        break;
      case "replayed": {
        const replayed = await openSuccessor(presented, result.sealedSuccessor);
        if (!replayed) throw invalidGrant("the refresh token is invalid");
        token = replayed;
        session = result.session;
        break;
      }
      case "reused":
        // The store revoked the whole grant; the grant row goes with it.
        await store.deleteGrants([sessionId]);
        await recordEvent("refresh_token_reused", { userId: result.userId, sessionId, userAgent: info.userAgent, ip: info.ip, details: { client_id: client.id } });
        throw invalidGrant("the refresh token was already used; the grant is revoked");
      case "invalid":
        throw invalidGrant("the refresh token is invalid or expired");
    }
    const user = await liveUser(session.userId);
    if (!user) {
      await sessions.revoke(session.id);
      throw invalidGrant("the user is gone or disabled");
    }
    const scopes = requestedScopes.length > 0 ? requestedScopes : grant.scopes;
    // OIDC Core §12.2: an ID token from a refresh has no nonce and keeps auth_time.
    return tokensFor(client, user, { ...grant, scopes }, session, token, null, null, now);
  }

  async function clientCredentials(client: OAuthClient, form: TokenForm): Promise<TokenResponse> {
    if (client.type !== "confidential") throw new OAuthError("unauthorized_client", "client_credentials is for confidential clients");
    allowGrant(client, "client_credentials");
    const requested = parseScope(form.scope);
    // The user-facing OIDC scopes mean nothing without a user.
    const machineScopes = client.scopes.filter((scope) => !(OIDC_SCOPES as readonly string[]).includes(scope));
    if (requested === null || !requested.every((scope) => machineScopes.includes(scope))) throw new OAuthError("invalid_scope", "scope must be among the client's non-OIDC scopes");
    const scopes = requested.length > 0 ? requested : machineScopes;
    const resource = form.resource;
    if (resource !== undefined && (!URL.canParse(resource) || resource.includes("#"))) throw new OAuthError("invalid_target", "resource must be an absolute URI without a fragment");
    const now = clock();
    const accessToken = await signer.signAccessToken({ subject: client.id, clientId: client.id, scopes, audience: resource ?? options.defaultAudience }, now);
    // OAuth 2.1 §4.2.3: no refresh token; the client authenticates again instead.
    return { access_token: accessToken, token_type: "Bearer", expires_in: signer.accessTokenTtlSeconds, scope: scopes.join(" ") };
  }

  return {
    async exchange(client, form, info) {
      switch (form.grant_type) {
        case "authorization_code":
          return authorizationCode(client, form, info);
        case "refresh_token":
          return refresh(client, form, info);
        case "client_credentials":
          return clientCredentials(client, form);
        case undefined:
        case "":
          throw new OAuthError("invalid_request", "grant_type is required");
        default:
          throw new OAuthError("unsupported_grant_type", "supported: authorization_code, refresh_token, client_credentials");
      }
    },
  };
}
