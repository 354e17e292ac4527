import type { JWK } from "jose";

/** The grants a client may use (OAuth 2.1's modern subset: no implicit, no password grant). */
export type GrantType = "authorization_code" | "refresh_token" | "client_credentials";

/**
 * How a client proves itself at the token, revocation and introspection endpoints (RFC 8414's
 * names): `none` for public clients (PKCE is their proof), the other three for confidential ones.
 */
export type ClientAuthMethod = "none" | "client_secret_basic" | "client_secret_post" | "private_key_jwt";

/** A registered OAuth client as the protocol sees it; never its secret or the secret's hash. */
export interface OAuthClient {
  /** `client_id`: random, URL-safe. */
  id: string;
  name: string;
  type: "public" | "confidential";
  /** Exact-match redirect URIs (loopback ones match with any port, RFC 8252 §7.3). */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  /** The scopes the client may ask for. */
  scopes: string[];
  /** First-party clients skip the consent page. */
  firstParty: boolean;
  tokenEndpointAuthMethod: ClientAuthMethod;
  /** Public keys for `private_key_jwt` (RFC 7523); null otherwise. */
  jwks: JWK[] | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The fields of a client an admin may change (PATCH /admin/clients/{id}); `type` and `id` never change. */
export type OAuthClientPatch = Partial<
  Pick<OAuthClient, "name" | "redirectUris" | "postLogoutRedirectUris" | "grantTypes" | "scopes" | "firstParty" | "tokenEndpointAuthMethod" | "jwks">
>;

/**
 * The client registry's storage (SQL, always: a Redis eviction must never lose a client). The
 * store holds the SHA-256 of a secret, never the secret, and is handed that hash ready-made. Times are passed
 * in by the caller, never read from a clock inside the store, so a test clock moves them.
 */
export interface ClientStore {
  /** Adds a client with its secret's hash (null for public and private_key_jwt clients); throws on a duplicate id. */
  create(client: OAuthClient, secretHash: string | null): Promise<OAuthClient>;
  /** The client with this `client_id`, or null. */
  get(id: string): Promise<OAuthClient | null>;
  /** Every client, oldest first (`created_at`, then id). */
  list(): Promise<OAuthClient[]>;
  /** Applies the patch and sets `updated_at` to `now`; null when there is no such client. */
  update(id: string, patch: OAuthClientPatch, now: Date): Promise<OAuthClient | null>;
  /** Deletes the client (its spent assertions go with it, cascade); false when there was none. */
  delete(id: string): Promise<boolean>;
  /** The stored SHA-256 (hex) of the client's secret; null when the client is unknown or has none. */
  secretHash(id: string): Promise<string | null>;
  /** Replaces the secret's hash (null removes it) and sets `updated_at`; false when there is no such client. */
  setSecretHash(id: string, hash: string | null, now: Date): Promise<boolean>;
  /**
   * Spends a private_key_jwt assertion's `jti` for this client, kept until `expiresAt`: true the
   * first time, false when it was seen before and has not expired. Atomic (one INSERT ... ON
   * CONFLICT DO NOTHING): of concurrent calls with the same jti exactly one gets true. Also deletes
   * entries that expired before `now`, so the table holds only live assertions.
   */
  spendAssertion(clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean>;
}
