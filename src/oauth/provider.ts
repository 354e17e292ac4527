/**
 * The OAuth 2.1 / OpenID Connect provider.
 *
 * Written here on Hono, jose and Web Crypto rather than taken from panva's `oidc-provider`, which is
 * built on Koa and refuses to run on Bun and on Node below 22 ("Unsupported runtime"), while this
 * service runs the same code on Node 20+ and Bun. It implements only the modern subset, strictly to
 * OAuth 2.1 (draft-ietf-oauth-v2-1), RFC 9700 (the security BCP) and OpenID Connect Core and
 * Discovery: the authorization code grant with PKCE S256 for every client, refresh tokens with
 * rotation, client credentials; no implicit flow, no password grant, no `plain` PKCE. Everything
 * below the protocol comes from maintained libraries: jose for JWS/JWK, zod for the parameters of
 * the documented endpoints, hono/jsx and Hono's cookie helpers for the pages (src/pages/).
 *
 * This module only assembles the parts; each rule lives in its own file:
 * authorization-request.ts and authorization.ts (the authorization endpoint), token-endpoint.ts (the
 * grants), token-management.ts (revocation, introspection, userinfo), browser-sessions.ts (single
 * sign-on), end-session.ts (RP-initiated logout), metadata.ts (discovery).
 */
import type { ClientInfo, SessionLifetimes } from "../auth/auth-service.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import type { SessionStore } from "../sessions/store.js";
import type { SigningKeys } from "../tokens/jwt.js";
import type { UserStore } from "../users/store.js";
import { createAuthorization, type Authorization } from "./authorization.js";
import { createBrowserSessions, type BrowserSessions } from "./browser-sessions.js";
import type { AuthenticateClient, OAuthClient } from "./clients/index.js";
import { endClientGrants, endGrants } from "./grants.js";
import { createEndSession, type EndSession } from "./end-session.js";
import { OAuthError } from "./errors.js";
import { createOAuthTokenSigner, type OAuthTokenSigner } from "./oauth-tokens.js";
import type { OAuthStore } from "./store.js";
import { createTokenEndpoint, type TokenEndpoint } from "./token-endpoint.js";
import { createTokenManagement, type TokenManagement } from "./token-management.js";


export interface OAuthProvider {
  readonly issuer: string;
  readonly signer: OAuthTokenSigner;
  /** The algorithm of the signing key; empty with an HS256 secret (the provider is then unavailable). */
  readonly signingAlgorithms: string[];
  authorization: Authorization;
  browserSessions: BrowserSessions;
  tokens: TokenEndpoint;
  management: TokenManagement;
  endSession: EndSession;
  authenticateClient: AuthenticateClient;
  findClient(id: string): Promise<OAuthClient | null>;
  /** The user's grants and consents, for /sessions and the consent list (by client). */
  grantsOf(userId: string): ReturnType<OAuthStore["listGrantsByUser"]>;
  /** Ends every grant of a client (before its deletion). */
  endClientGrants(clientId: string): Promise<void>;
  /** The user's consent for a client, withdrawn, and the grants it allowed ended. */
  revokeConsent(userId: string, clientId: string, info: ClientInfo): Promise<boolean>;
}

export interface OAuthProviderOptions {
  store: OAuthStore;
  sessions: SessionStore;
  users: Pick<UserStore, "findById">;
  keys: SigningKeys;
  issuer: string;
  defaultAudience: string;
  accessTokenTtlSeconds: number;
  lifetimes: SessionLifetimes;
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
  findClient: (id: string) => Promise<OAuthClient | null>;
  authenticateClient: AuthenticateClient;
}

/** OAuth 2.1 §4.1.2 asks for a short lifetime; 60 s covers a redirect and a back-channel call. */
const CODE_TTL_SECONDS = 60;
/** Time to sign in (and pass the second factor) and consent. */
const REQUEST_TTL_SECONDS = 15 * 60;
const ID_TOKEN_TTL_SECONDS = 5 * 60;

export function createOAuthProvider(options: OAuthProviderOptions): OAuthProvider {
  const { store, sessions, users, keys, issuer, clock, recordEvent } = options;
  // ID tokens must be verifiable by relying parties with the JWKS: an HS256 secret cannot do that
  // (OIDC Core §10.1 would make it each client's own secret), so the provider needs asymmetric keys.
  const signer =
    keys.publicJwks.length > 0
      ? createOAuthTokenSigner({ keys, issuer, accessTokenTtlSeconds: options.accessTokenTtlSeconds, idTokenTtlSeconds: ID_TOKEN_TTL_SECONDS })
      : unavailableSigner();

  const browserSessions = createBrowserSessions({
    sessions,
    users,
    recordEvent,
    clock,
    idleTtlSeconds: options.lifetimes.refreshTokenTtlSeconds,
    maxLifetimeSeconds: options.lifetimes.sessionMaxLifetimeSeconds,
  });

  const grantStorage = { sessions, store };

  return {
    issuer,
    signer,
    signingAlgorithms: keys.publicJwks.length > 0 ? [keys.signing.alg] : [],
    authorization: createAuthorization({
      store,
      findClient: options.findClient,
      issuer,
      clock,
      recordEvent,
      codeTtlSeconds: CODE_TTL_SECONDS,
      requestTtlSeconds: REQUEST_TTL_SECONDS,
    }),
    browserSessions,
    tokens: createTokenEndpoint({ store, sessions, users, signer, lifetimes: options.lifetimes, defaultAudience: options.defaultAudience, clock, recordEvent }),
    management: createTokenManagement({ store, sessions, users, signer, issuer, clock, recordEvent }),
    endSession: createEndSession({ signer, findClient: options.findClient, browserSessions }),
    authenticateClient: options.authenticateClient,
    findClient: options.findClient,
    grantsOf: (userId) => store.listGrantsByUser(userId),
    endClientGrants: (clientId) => endClientGrants(grantStorage, clientId),
    async revokeConsent(userId, clientId, info) {
      const removed = await store.deleteConsent(userId, clientId);
      const grants = (await store.listGrantsByUser(userId)).filter((grant) => grant.clientId === clientId);
      await endGrants(grantStorage, grants.map((grant) => grant.sessionId));
      if (removed) await recordEvent("oauth_consent_revoked", { userId, sessionId: null, userAgent: info.userAgent, ip: info.ip, details: { client_id: clientId, grants_ended: grants.length } });
      return removed;
    },
  };
}

/** With JWT_SECRET only: every use answers 503 temporarily_unavailable, saying what to configure. */
function unavailableSigner(): OAuthTokenSigner {
  const refuse = (): never => {
    throw new OAuthError("temporarily_unavailable", "the OAuth provider needs asymmetric signing keys (JWT_PRIVATE_KEYS)", 503);
  };
  return {
    accessTokenTtlSeconds: 0,
    idTokenTtlSeconds: 0,
    algorithm: "none",
    signAccessToken: async () => refuse(),
    signIdToken: async () => refuse(),
    verifyAccessToken: async () => refuse(),
    verifyIdTokenHint: async () => refuse(),
  };
}
