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
import type { SessionLifetimes } from "../auth/auth-service.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import type { SessionStore } from "../sessions/store.js";
import type { SigningKeys } from "../tokens/jwt.js";
import type { UserStore } from "../users/store.js";
import { createAuthorization, type Authorization } from "./authorization.js";
import { createBrowserSessions, type BrowserSessions } from "./browser-sessions.js";
import type { AuthenticateClient, OAuthClient } from "./clients/index.js";
import { endClientGrants } from "./grants.js";
import { createEndSession, type EndSession } from "./end-session.js";
import { OAuthError } from "./errors.js";
import { createOAuthTokenSigner, type OAuthTokenSigner } from "./oauth-tokens.js";
import type { OAuthStore } from "./store.js";
import { createTokenEndpoint, type TokenEndpoint } from "./token-endpoint.js";
import { createTokenManagement, type TokenManagement } from "./token-management.js";
import { createUserApplications, type UserApplications } from "./user-applications.js";


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
  /** The user's consents and grants as the account API shows them (GET/DELETE /me/consents, GET /sessions). */
  applications: UserApplications;
  authenticateClient: AuthenticateClient;
  findClient(id: string): Promise<OAuthClient | null>;
  /** Ends every grant of a client (before its deletion). */
  endClientGrants(clientId: string): Promise<void>;
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
    applications: createUserApplications({ store, sessions, findClient: options.findClient, recordEvent }),
    authenticateClient: options.authenticateClient,
    findClient: options.findClient,
    endClientGrants: (clientId) => endClientGrants(grantStorage, clientId),
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
