/**
 * The OAuth provider's storage: authorization codes, grants (which session belongs to which
 * client), consents and the authorization requests waiting for the user. The store never sees a
 * code or a request id in clear: the caller hashes them (SHA-256, base64url). Times are passed in
 * (`now`), never read from a clock inside the store.
 */

/** What an authorization code stands for: who signed in, for which client, with which PKCE challenge. */
export interface AuthorizationCodeRecord {
  codeHash: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  scopes: string[];
  /** The S256 challenge (base64url of SHA-256 of the verifier). */
  codeChallenge: string;
  nonce: string | null;
  /** RFC 8707 resource indicator: the access token's audience. */
  resource: string | null;
  amr: string[];
  authTime: Date;
  /** The browser session the user signed in with (the ID token's `sid`). */
  browserSessionId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export type RedeemResult =
  /** The code was live and unused; it is now spent. */
  | { outcome: "redeemed"; code: AuthorizationCodeRecord }
  /** The code was spent before: `sessionId` is the grant the first exchange started (null if it failed midway). */
  | { outcome: "replayed"; clientId: string; sessionId: string | null }
  /** Unknown or expired. */
  | { outcome: "invalid" };

export interface OAuthGrantRecord {
  sessionId: string;
  clientId: string;
  userId: string;
  scopes: string[];
  resource: string | null;
  createdAt: Date;
}

export interface OAuthConsentRecord {
  userId: string;
  clientId: string;
  scopes: string[];
  grantedAt: Date;
}

export interface AuthorizationRequestRecord {
  idHash: string;
  clientId: string;
  /** The validated authorization parameters (src/oauth/authorization-request.ts). */
  parameters: Record<string, unknown>;
  /** Only a sign-in at or after this instant completes the request (prompt=login, max_age). */
  notBefore: Date | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface OAuthStore {
  saveCode(code: AuthorizationCodeRecord): Promise<void>;
  /**
   * Spends a code: of any number of concurrent calls exactly one gets `redeemed`; the others (and
   * every later call, until the spent row is purged after its expiry) get `replayed`.
   */
  redeemCode(codeHash: string, now: Date): Promise<RedeemResult>;
  /** Records the grant a redeemed code started, on the code's row (for revocation on replay). */
  markCodeExchanged(codeHash: string, sessionId: string): Promise<void>;

  createGrant(grant: OAuthGrantRecord): Promise<void>;
  getGrant(sessionId: string): Promise<OAuthGrantRecord | null>;
  /** The user's grants (any state of their sessions), newest first. */
  listGrantsByUser(userId: string): Promise<OAuthGrantRecord[]>;
  listGrantsByClient(clientId: string): Promise<OAuthGrantRecord[]>;
  /** Removes the grant rows of these sessions (after the sessions were revoked). */
  deleteGrants(sessionIds: string[]): Promise<void>;

  /** The consent the user gave the client, or null. */
  getConsent(userId: string, clientId: string): Promise<OAuthConsentRecord | null>;
  /** Replaces the user's consent for the client. */
  saveConsent(consent: OAuthConsentRecord): Promise<void>;
  /** Removes it; false when there was none. */
  deleteConsent(userId: string, clientId: string): Promise<boolean>;
  listConsentsByUser(userId: string): Promise<OAuthConsentRecord[]>;

  saveAuthorizationRequest(request: AuthorizationRequestRecord): Promise<void>;
  /** The live request, or null. Changes nothing (the pages read it on each step). */
  getAuthorizationRequest(idHash: string, now: Date): Promise<AuthorizationRequestRecord | null>;
  /** Removes it; true for the one call that did (so a request completes once). */
  consumeAuthorizationRequest(idHash: string, now: Date): Promise<AuthorizationRequestRecord | null>;

  /** Removes expired codes and requests; returns how many rows went. */
  purgeExpired(now: Date): Promise<number>;
}
