import { ACR_VALUES } from "./oauth-tokens.js";
import { OIDC_SCOPES } from "./scopes.js";

/**
 * The provider's metadata, from one source for both documents: RFC 8414 at
 * /.well-known/oauth-authorization-server and OpenID Connect Discovery 1.0 at
 * /.well-known/openid-configuration (the same members; OIDC's extra ones are harmless to an
 * OAuth client). It says exactly what is implemented: a value here is a promise clients rely on.
 */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  end_session_endpoint: string;
  scopes_supported: string[];
  response_types_supported: string[];
  response_modes_supported: string[];
  grant_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  token_endpoint_auth_signing_alg_values_supported: string[];
  revocation_endpoint_auth_methods_supported: string[];
  introspection_endpoint_auth_methods_supported: string[];
  code_challenge_methods_supported: string[];
  prompt_values_supported: string[];
  claims_supported: string[];
  acr_values_supported: string[];
  authorization_response_iss_parameter_supported: boolean;
  claims_parameter_supported: boolean;
  request_parameter_supported: boolean;
  request_uri_parameter_supported: boolean;
  service_documentation: string;
}

/** The asymmetric algorithms a client's private_key_jwt assertion may use (src/oauth/clients/client-authentication.ts). */
export const CLIENT_ASSERTION_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"];

/**
 * `issuer`: the public base URL without a trailing slash (config.jwt.issuer), the `iss` of every
 * token. `signingAlgorithms`: the algorithm of the key that signs (the first configured key);
 * empty with an HS256 secret, which no relying party could verify.
 */
export function providerMetadata(issuer: string, signingAlgorithms: string[]): ProviderMetadata {
  const confidentialMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt"];
  return {
    // RFC 8414 §2 / OIDC Discovery §3: identical to the `iss` of the tokens; a client compares the two.
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    userinfo_endpoint: `${issuer}/oauth/userinfo`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    end_session_endpoint: `${issuer}/oauth/logout`,
    scopes_supported: [...OIDC_SCOPES],
    // OAuth 2.1: the code flow only; no implicit or hybrid response types.
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: signingAlgorithms,
    token_endpoint_auth_methods_supported: ["none", ...confidentialMethods],
    token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    revocation_endpoint_auth_methods_supported: ["none", ...confidentialMethods],
    introspection_endpoint_auth_methods_supported: confidentialMethods,
    code_challenge_methods_supported: ["S256"],
    prompt_values_supported: ["none", "login", "consent"],
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid", "at_hash", "name", "updated_at", "email", "email_verified"],
    acr_values_supported: ACR_VALUES,
    // RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    // Discovery defaults this one to true: said explicitly, since request_uri is refused.
    request_uri_parameter_supported: false,
    service_documentation: `${issuer}/ui`,
  };
}
