import { sql } from "drizzle-orm";
import type { JWK } from "jose";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** Every instant is a `timestamptz`, read as a Date. */
const instant = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** The user a row belongs to: `user_id`, required, and deleted with the user. */
const ownerUserId = () =>
  uuid("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" });

const timestamps = {
  createdAt: instant("created_at").notNull().defaultNow(),
  updatedAt: instant("updated_at").notNull().defaultNow(),
};

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey(),
    // Stored lower-cased by the service; the unique index on lower() also guards rows written by hand.
    email: text("email").notNull(),
    name: text("name"),
    passwordHash: text("password_hash").notNull(),
    roles: text("roles").array().notNull().default(sql`ARRAY['user']::text[]`),
    /** Set when the user proved the address (a verification or email-change link); existing accounts start unverified. */
    emailVerified: boolean("email_verified").notNull().default(false),
    disabledAt: instant("disabled_at"),
    ...timestamps,
  },
  (table) => [uniqueIndex("users_email_lower_unique").on(sql`lower(${table.email})`)],
);

/**
 * One row per live session (one login's family of refresh tokens), used when no Redis is configured.
 * Only hashes of refresh tokens are kept; `sealed_successor` is the current token encrypted under a
 * key derived from the previous token, so only a client holding that previous token can replay it.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey(),
    userId: ownerUserId(),
    tokenHash: text("token_hash").notNull(),
    previousTokenHash: text("previous_token_hash"),
    sealedSuccessor: text("sealed_successor"),
    rotatedAt: instant("rotated_at"),
    generation: integer("generation").notNull().default(0),
    userAgent: text("user_agent"),
    ip: text("ip"),
    /** RFC 8176 methods of the login; null on sessions older than the column: ["pwd"]. */
    amr: text("amr").array(),
    /** When the login's password was checked; null on older sessions: `created_at`. */
    authTime: instant("auth_time"),
    createdAt: instant("created_at").notNull(),
    lastUsedAt: instant("last_used_at").notNull(),
    idleExpiresAt: instant("idle_expires_at").notNull(),
    absoluteExpiresAt: instant("absolute_expires_at").notNull(),
  },
  (table) => [index("sessions_user_id_idx").on(table.userId, table.createdAt)],
);

/** Hashes of refresh tokens already rotated out, so that any older token is recognised as reuse. */
export const spentRefreshTokens = pgTable(
  "spent_refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
  },
  (table) => [index("spent_refresh_tokens_session_id_idx").on(table.sessionId)],
);

/**
 * A user's security trail: what happened to the account, when, from where. Never a password or a
 * token. Deleted with the user (cascade) and pruned after the configured retention.
 */
export const securityEvents = pgTable(
  "security_events",
  {
    id: uuid("id").primaryKey(),
    userId: ownerUserId(),
    type: text("type").notNull(),
    occurredAt: instant("occurred_at").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    sessionId: uuid("session_id"),
    /** The admin who acted on this account, for admin actions. */
    actorId: uuid("actor_id"),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (table) => [
    index("security_events_user_id_occurred_at_idx").on(table.userId, table.occurredAt),
    index("security_events_occurred_at_idx").on(table.occurredAt),
  ],
);

/**
 * One-time tokens of the email flows (verification, password reset, email change): only the
 * SHA-256 hash of a token is kept (a dump yields nothing to present), bound to one user, one
 * purpose and the address it was sent to. `consumed_at` is set by the one conditional UPDATE that
 * spends a token; rows are pruned once expired or spent (src/recovery/sql-token-store.ts).
 */
export const oneTimeTokens = pgTable(
  "one_time_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: ownerUserId(),
    purpose: text("purpose").notNull(),
    /** The address the link was sent to: the user's for verification and reset, the new one for an email change. */
    email: text("email").notNull(),
    createdAt: instant("created_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
    consumedAt: instant("consumed_at"),
  },
  (table) => [index("one_time_tokens_user_id_purpose_idx").on(table.userId, table.purpose), index("one_time_tokens_expires_at_idx").on(table.expiresAt)],
);
export type OneTimeTokenRow = typeof oneTimeTokens.$inferSelect;

/**
 * A user's TOTP factor (RFC 6238), at most one. `secret_sealed` is the shared secret encrypted with
 * AES-256-GCM under MFA_ENCRYPTION_KEY, bound to the user id (src/mfa/secret-box.ts): a dump of the
 * database yields no usable secret. `confirmed_at` is null while an enrolment waits for its first
 * code. `last_step` is the last time step (unix time / 30) whose code was accepted: one conditional
 * UPDATE raises it, so a code is accepted at most once (src/mfa/sql-store.ts).
 */
export const mfaTotpFactors = pgTable("mfa_totp_factors", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secretSealed: text("secret_sealed").notNull(),
  createdAt: instant("created_at").notNull(),
  confirmedAt: instant("confirmed_at"),
  lastStep: bigint("last_step", { mode: "number" }).notNull().default(-1),
});
export type MfaTotpFactorRow = typeof mfaTotpFactors.$inferSelect;

/** Recovery codes, by SHA-256 hash only (src/mfa/recovery-codes.ts says why a fast hash is enough); each spent once by a conditional UPDATE. */
export const mfaRecoveryCodes = pgTable(
  "mfa_recovery_codes",
  {
    codeHash: text("code_hash").primaryKey(),
    userId: ownerUserId(),
    createdAt: instant("created_at").notNull(),
    usedAt: instant("used_at"),
  },
  (table) => [index("mfa_recovery_codes_user_id_idx").on(table.userId)],
);

/**
 * The second step of a login (the `mfa_token` of POST /login): only its SHA-256 hash, bound to one
 * user, short-lived, spent once; `failed_attempts` counts wrong codes, and the one that reaches the
 * limit spends it.
 */
export const mfaLoginChallenges = pgTable(
  "mfa_login_challenges",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: ownerUserId(),
    /** When the password was checked: the `auth_time` of the session it completes. */
    createdAt: instant("created_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
    failedAttempts: integer("failed_attempts").notNull().default(0),
    consumedAt: instant("consumed_at"),
  },
  (table) => [index("mfa_login_challenges_user_id_idx").on(table.userId), index("mfa_login_challenges_expires_at_idx").on(table.expiresAt)],
);
export type MfaLoginChallengeRow = typeof mfaLoginChallenges.$inferSelect;

/**
 * A user's passkeys (WebAuthn credentials, src/passkeys/). `credential_id` is the authenticator's
 * id (base64url), unique across users; `public_key` the COSE public key (base64url): nothing here
 * is secret, a dump of it cannot sign an assertion. `sign_count` is the authenticator's signature
 * counter as last seen (0 for authenticators that keep none); `device_type` and `backed_up` are the
 * backup flags of the authenticator data (a synced passkey is multiDevice).
 */
export const passkeyCredentials = pgTable(
  "passkey_credentials",
  {
    id: uuid("id").primaryKey(),
    userId: ownerUserId(),
    credentialId: text("credential_id").notNull(),
    publicKey: text("public_key").notNull(),
    signCount: bigint("sign_count", { mode: "number" }).notNull().default(0),
    transports: text("transports").array().notNull().default(sql`'{}'::text[]`),
    deviceType: text("device_type").notNull(),
    backedUp: boolean("backed_up").notNull(),
    name: text("name"),
    createdAt: instant("created_at").notNull(),
    lastUsedAt: instant("last_used_at"),
  },
  (table) => [uniqueIndex("passkey_credentials_credential_id_idx").on(table.credentialId), index("passkey_credentials_user_id_idx").on(table.userId)],
);
export type PasskeyCredentialRow = typeof passkeyCredentials.$inferSelect;

/**
 * The challenges of WebAuthn ceremonies in flight: only the SHA-256 of the challenge, so a dump
 * cannot answer one. Each is bound to its `ceremony` (registration, login, second_factor) and, where
 * there is one, to its user and to the `mfa_token` (by hash) of the login it completes; deleted by
 * the one use that finds it (DELETE ... RETURNING), so two racing uses get one success.
 */
export const passkeyChallenges = pgTable(
  "passkey_challenges",
  {
    challengeHash: text("challenge_hash").primaryKey(),
    ceremony: text("ceremony").notNull(),
    // No foreign key, on purpose: a login options request for an unknown email binds its challenge
    // to a user id that exists nowhere, doing the same work as for a known one (no oracle); a
    // challenge outlives its user by at most its 5 minutes, and answers nothing once the user is gone.
    userId: uuid("user_id"),
    mfaTokenHash: text("mfa_token_hash"),
    createdAt: instant("created_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
  },
  (table) => [index("passkey_challenges_expires_at_idx").on(table.expiresAt)],
);
export type PasskeyChallengeRow = typeof passkeyChallenges.$inferSelect;

/**
 * The OAuth provider (src/oauth/). Codes and pending authorization requests are kept only as
 * SHA-256 hashes of the random values handed to the browser (256 bits: a fast hash suffices), so a
 * dump of these tables holds nothing that can be presented. Each row belongs to a client and goes
 * with it (`ownerClientId`); the sessions of its grants are revoked first (OAuthProvider.endClientGrants).
 */
const ownerClientId = () =>
  text("client_id")
    .notNull()
    .references(() => oauthClients.id, { onDelete: "cascade" });

/**
 * An authorization code (RFC 6749 §4.1.2): single use (`consumed_at` set by one conditional
 * update), bound to its client, redirect URI and PKCE challenge. `session_id` is the grant its
 * exchange started, so a second exchange can revoke it (§4.1.2: "SHOULD revoke").
 */
export const oauthAuthorizationCodes = pgTable(
  "oauth_authorization_codes",
  {
    codeHash: text("code_hash").primaryKey(),
    clientId: ownerClientId(),
    userId: ownerUserId(),
    redirectUri: text("redirect_uri").notNull(),
    scopes: text("scopes").array().notNull(),
    codeChallenge: text("code_challenge").notNull(),
    nonce: text("nonce"),
    resource: text("resource"),
    amr: text("amr").array().notNull(),
    authTime: instant("auth_time").notNull(),
    /** The browser session (its session id) the user was signed in with: the ID token's `sid`. */
    browserSessionId: uuid("browser_session_id"),
    createdAt: instant("created_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
    consumedAt: instant("consumed_at"),
    sessionId: uuid("session_id"),
  },
  (table) => [index("oauth_authorization_codes_expires_at_idx").on(table.expiresAt)],
);
export type OAuthAuthorizationCodeRow = typeof oauthAuthorizationCodes.$inferSelect;

/**
 * An OAuth grant: the session (src/sessions/) a code exchange started, with the client it belongs
 * to and what it was granted. The session holds the refresh token family; this row says whose.
 */
export const oauthGrants = pgTable(
  "oauth_grants",
  {
    sessionId: uuid("session_id").primaryKey(),
    clientId: ownerClientId(),
    userId: ownerUserId(),
    scopes: text("scopes").array().notNull(),
    resource: text("resource"),
    createdAt: instant("created_at").notNull(),
  },
  (table) => [index("oauth_grants_user_id_idx").on(table.userId), index("oauth_grants_client_id_idx").on(table.clientId)],
);
export type OAuthGrantRow = typeof oauthGrants.$inferSelect;

/** What a user allowed a third-party client (the consent page), remembered until revoked. */
export const oauthConsents = pgTable(
  "oauth_consents",
  {
    userId: ownerUserId(),
    clientId: ownerClientId(),
    scopes: text("scopes").array().notNull(),
    grantedAt: instant("granted_at").notNull(),
  },
  (table) => [uniqueIndex("oauth_consents_user_client_unique").on(table.userId, table.clientId)],
);
export type OAuthConsentRow = typeof oauthConsents.$inferSelect;

/**
 * An authorization request waiting for the user (sign-in, second factor, consent): the validated
 * parameters, so the pages carry only a random id. `not_before` is set for `prompt=login` and
 * `max_age`: only a sign-in at or after it completes the request.
 */
export const oauthAuthorizationRequests = pgTable(
  "oauth_authorization_requests",
  {
    idHash: text("id_hash").primaryKey(),
    clientId: ownerClientId(),
    parameters: jsonb("parameters").$type<Record<string, unknown>>().notNull(),
    notBefore: instant("not_before"),
    createdAt: instant("created_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
  },
  (table) => [index("oauth_authorization_requests_expires_at_idx").on(table.expiresAt)],
);
export type OAuthAuthorizationRequestRow = typeof oauthAuthorizationRequests.$inferSelect;

/**
 * Registered OAuth clients (src/oauth/clients/). `id` is the `client_id`, random and URL-safe.
 * `secret_hash` is the SHA-256 (hex) of a confidential client's secret, null for public clients
 * and for private_key_jwt ones: the secret is 256 random bits, so a fast hash is enough (nothing to
 * brute-force), and the database never holds a secret that can be presented. `jwks` holds public
 * keys only (private_key_jwt, RFC 7523).
 */
export const oauthClients = pgTable("oauth_clients", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  type: text("type").notNull(),
  secretHash: text("secret_hash"),
  redirectUris: text("redirect_uris").array().notNull(),
  postLogoutRedirectUris: text("post_logout_redirect_uris").array().notNull(),
  grantTypes: text("grant_types").array().notNull(),
  scopes: text("scopes").array().notNull(),
  firstParty: boolean("first_party").notNull().default(false),
  tokenEndpointAuthMethod: text("token_endpoint_auth_method").notNull(),
  jwks: jsonb("jwks").$type<JWK[]>(),
  createdAt: instant("created_at").notNull(),
  updatedAt: instant("updated_at").notNull(),
}, (table) => [index("oauth_clients_created_at_idx").on(table.createdAt, table.id)]);
export type OAuthClientRow = typeof oauthClients.$inferSelect;

/**
 * The `jti`s of private_key_jwt client assertions already accepted (RFC 7523 §3: single use), by
 * SHA-256 of `client_id \0 jti` (one fixed-length key, whatever the client put in its jti), until
 * the assertion's own `exp`: after that the assertion is refused as expired anyway.
 */
export const oauthClientAssertions = pgTable(
  "oauth_client_assertions",
  {
    jtiHash: text("jti_hash").primaryKey(),
    clientId: text("client_id")
      .notNull()
      .references(() => oauthClients.id, { onDelete: "cascade" }),
    expiresAt: instant("expires_at").notNull(),
  },
  (table) => [index("oauth_client_assertions_expires_at_idx").on(table.expiresAt), index("oauth_client_assertions_client_id_idx").on(table.clientId)],
);

export const schema = { users, sessions, spentRefreshTokens, securityEvents, oneTimeTokens, mfaTotpFactors, mfaRecoveryCodes, mfaLoginChallenges, passkeyCredentials, passkeyChallenges, oauthClients, oauthClientAssertions, oauthAuthorizationCodes, oauthGrants, oauthConsents, oauthAuthorizationRequests };
export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type SecurityEventRow = typeof securityEvents.$inferSelect;

/**
 * The mail outbox: messages waiting for the SMTP server. A row holds a whole message, its bodies
 * (with the one-time link) sealed under a key the database does not hold (src/mail/outbox-sealing.ts):
 * it is deleted as soon as the server accepts the message, or
 * dropped once older than the queue's max age (src/mail/mail-queue.ts). `next_attempt_at` is both the
 * back-off after a failure and the lease of the worker sending it.
 */
export const mailOutbox = pgTable(
  "mail_outbox",
  {
    id: uuid("id").primaryKey(),
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    textBody: text("text_body").notNull(),
    htmlBody: text("html_body").notNull(),
    attempts: integer("attempts").notNull().default(0),
    createdAt: instant("created_at").notNull(),
    nextAttemptAt: instant("next_attempt_at").notNull(),
  },
  (table) => [index("mail_outbox_next_attempt_at_idx").on(table.nextAttemptAt)],
);
export type MailOutboxRow = typeof mailOutbox.$inferSelect;
