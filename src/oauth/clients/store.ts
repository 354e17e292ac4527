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
