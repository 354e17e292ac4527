import { z } from "@hono/zod-openapi";

/**
 * The OAuth endpoints' bodies are forms (RFC 6749 §3.2: application/x-www-form-urlencoded) and their
 * errors the RFC 6749 §5.2 object, which relying-party libraries read; see src/oauth/errors.ts.
 * Every field is an optional string here: the grant decides what it needs and answers
 * `invalid_request` itself, and a repeated field (an array) fails this schema, which the OAuth
 * router's hook answers with `invalid_request` (RFC 6749 §3.2: parameters must not repeat).
 */
const formField = (description: string) => z.string().max(8192).optional().openapi({ description });

export const TokenRequestSchema = z
  .object({
    grant_type: formField("authorization_code, refresh_token or client_credentials"),
    code: formField("authorization_code: the code from the redirect"),
    redirect_uri: formField("authorization_code: the redirect URI of the authorization request, exactly"),
    code_verifier: formField("authorization_code: the PKCE verifier (S256)"),
    refresh_token: formField("refresh_token: the current refresh token"),
    scope: formField("refresh_token: a narrower scope; client_credentials: the scopes asked for"),
    resource: formField("client_credentials: RFC 8707 resource indicator, the token's audience"),
    client_id: formField("client_secret_post and public clients"),
    client_secret: formField("client_secret_post"),
    client_assertion_type: formField("private_key_jwt: urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
    client_assertion: formField("private_key_jwt: the client's signed JWT (RFC 7523)"),
  })
  .openapi("TokenRequest", {
    example: {
      grant_type: "authorization_code",
      code: "Vb8ISSZtHOvEZ0-0C3nUhP6g4Er0JmUyNCMsoDuZ1eI",
      redirect_uri: "https://app.example.com/callback",
      code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    },
  });

export const TokenResponseSchema = z
  .object({
    access_token: z.string().openapi({ description: "An RFC 9068 JWT access token" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    scope: z.string(),
    refresh_token: z.string().optional().openapi({ description: "With offline_access (authorization_code) and on every refresh: the next one" }),
    id_token: z.string().optional().openapi({ description: "With the openid scope" }),
  })
  .openapi("TokenResponse", {
    example: {
      access_token: "eyJhbGciOiJFZERTQSIsImtpZCI6IjIwMjYtMTEtZWQyNTUxOSIsInR5cCI6ImF0K2p3dCJ9.e30.c2ln",
      token_type: "Bearer",
      expires_in: 900,
      scope: "openid email offline_access",
      refresh_token: "rt.AZL0c2Vzc2lvbi1pZC1oZXJlLXNlY3JldC1ieXRlcy1hcmUtaGVyZQ",
      id_token: "eyJhbGciOiJFZERTQSIsImtpZCI6IjIwMjYtMTEtZWQyNTUxOSIsInR5cCI6IkpXVCJ9.e30.c2ln",
    },
  });

export const OAuthErrorSchema = z
  .object({
    error: z.string().openapi({ description: "The RFC 6749 §5.2 (or RFC 7009, RFC 7662, RFC 6750) error code" }),
    error_description: z.string().openapi({ description: "For the client developer" }),
  })
  .openapi("OAuthError", { example: { error: "invalid_grant", error_description: "the code was already used" } });

export const TokenFormSchema = z
  .object({
    token: formField("The token to revoke or introspect"),
    token_type_hint: formField("access_token or refresh_token (a hint; both are recognised without it)"),
    client_id: formField("client_secret_post and public clients"),
    client_secret: formField("client_secret_post"),
    client_assertion_type: formField("private_key_jwt"),
    client_assertion: formField("private_key_jwt"),
  })
  .openapi("TokenForm", { example: { token: "rt.AZL0c2Vzc2lvbi1pZC1oZXJlLXNlY3JldC1ieXRlcy1hcmUtaGVyZQ", token_type_hint: "refresh_token" } });

export const IntrospectionSchema = z
  .object({
    active: z.boolean(),
    token_type: z.string().optional(),
    client_id: z.string().optional(),
    sub: z.string().optional(),
    scope: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    iss: z.string().optional(),
    exp: z.number().int().optional(),
    iat: z.number().int().optional(),
    jti: z.string().optional(),
    sid: z.string().optional(),
  })
  .openapi("Introspection", {
    description: "RFC 7662 §2.2; only `active` when the token is not live",
    example: { active: true, token_type: "Bearer", client_id: "s6BhdRkqt3", sub: "0192f7a4-6b1e-7c3d-9a2b-3c4d5e6f7a8b", scope: "openid email", iss: "https://auth.example.com", exp: 1764662400, iat: 1764661500 },
  });

export const UserInfoSchema = z
  .object({
    sub: z.string(),
    name: z.string().nullable().optional(),
    updated_at: z.number().int().optional(),
    email: z.string().optional(),
    email_verified: z.boolean().optional(),
  })
  .openapi("UserInfo", { example: { sub: "0192f7a4-6b1e-7c3d-9a2b-3c4d5e6f7a8b", name: "Ada Lovelace", email: "ada@example.com", email_verified: true } });

export const ProviderMetadataSchema = z
  .object({
    issuer: z.url(),
    authorization_endpoint: z.url(),
    token_endpoint: z.url(),
    userinfo_endpoint: z.url(),
    jwks_uri: z.url(),
    revocation_endpoint: z.url(),
    introspection_endpoint: z.url(),
    end_session_endpoint: z.url(),
    scopes_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    response_modes_supported: z.array(z.string()),
    grant_types_supported: z.array(z.string()),
    subject_types_supported: z.array(z.string()),
    id_token_signing_alg_values_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    token_endpoint_auth_signing_alg_values_supported: z.array(z.string()),
    revocation_endpoint_auth_methods_supported: z.array(z.string()),
    introspection_endpoint_auth_methods_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
    prompt_values_supported: z.array(z.string()),
    claims_supported: z.array(z.string()),
    acr_values_supported: z.array(z.string()),
    authorization_response_iss_parameter_supported: z.boolean(),
    claims_parameter_supported: z.boolean(),
    request_parameter_supported: z.boolean(),
    request_uri_parameter_supported: z.boolean(),
    service_documentation: z.url(),
  })
  .openapi("ProviderMetadata", {
    description: "RFC 8414 authorization server metadata, also served as OpenID Connect Discovery 1.0",
    example: {
      issuer: "https://auth.example.com",
      authorization_endpoint: "https://auth.example.com/oauth/authorize",
      token_endpoint: "https://auth.example.com/oauth/token",
      userinfo_endpoint: "https://auth.example.com/oauth/userinfo",
      jwks_uri: "https://auth.example.com/.well-known/jwks.json",
      revocation_endpoint: "https://auth.example.com/oauth/revoke",
      introspection_endpoint: "https://auth.example.com/oauth/introspect",
      end_session_endpoint: "https://auth.example.com/oauth/logout",
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["EdDSA"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"],
      token_endpoint_auth_signing_alg_values_supported: ["RS256", "PS256", "ES256", "EdDSA"],
      revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"],
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
      code_challenge_methods_supported: ["S256"],
      prompt_values_supported: ["none", "login", "consent"],
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid", "at_hash", "name", "updated_at", "email", "email_verified"],
      acr_values_supported: ["urn:auth-service:acr:single-factor", "urn:auth-service:acr:mfa"],
      authorization_response_iss_parameter_supported: true,
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      service_documentation: "https://auth.example.com/ui",
    },
  });
