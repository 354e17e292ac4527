/**
 * RFC 8414 authorization server metadata, served at /.well-known/oauth-authorization-server. It
 * says only what is true today; the OAuth issue adds the endpoints, grant types and response types
 * as they come. Verifiers (Auth0's express-oauth2-jwt-bearer, among others) find `jwks_uri` here
 * from the issuer URL of a token.
 */
export interface AuthorizationServerMetadata {
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  grant_types_supported: string[];
  service_documentation: string;
}

/** `issuer`: the public base URL without a trailing slash (config.jwt.issuer), the `iss` of every token. */
export function authorizationServerMetadata(issuer: string): AuthorizationServerMetadata {
  return {
    // §2: identical to the `iss` of the tokens; §3.3: a client compares the two.
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    // §2 makes response_types_supported REQUIRED. With no authorization endpoint yet there is no
    // response_type this server honours, and an empty list says exactly that; naming "code" would
    // send a client looking for an endpoint that does not exist. For the same reason
    // authorization_endpoint is absent (§2: required only when a grant type uses it), and so is
    // token_endpoint: /login and /refresh are not RFC 6749 token endpoints (they take JSON, not
    // grant_type forms), and naming one would be a promise the service does not keep.
    response_types_supported: [],
    // Given, although OPTIONAL: left out, §2 says it defaults to ["authorization_code", "implicit"],
    // which this service does not implement.
    grant_types_supported: [],
    service_documentation: `${issuer}/ui`,
  };
}
