import { createRoute } from "@hono/zod-openapi";
import { BEARER_SECURITY, headerRef, jsonContent, NO_CLIENT_ERROR_EXPECTED, NO_SECURITY } from "../../http/openapi.js";
import { IntrospectionSchema, OAuthErrorSchema, ProviderMetadataSchema, TokenFormSchema, TokenRequestSchema, TokenResponseSchema, UserInfoSchema } from "./oauth.schemas.js";

const publicCacheHeaders = { "Cache-Control": headerRef("CacheControlPublic") };
const formBody = <T extends typeof TokenRequestSchema | typeof TokenFormSchema>(schema: T, description: string) =>
  ({ required: true, description, content: { "application/x-www-form-urlencoded": { schema } } }) as const;

/** RFC 6749 §5.2's answers, as JSON (not problems): what OAuth client libraries read. */
function oauthErrors(statuses: Record<number, string>) {
  return Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [status, jsonContent(OAuthErrorSchema, description)]),
  ) as Record<string, ReturnType<typeof jsonContent<typeof OAuthErrorSchema>>>;
}

const CLIENT_AUTHENTICATION =
  "The client authenticates with its registered method: HTTP Basic (client_secret_basic), client_id and client_secret in the form (client_secret_post), a signed client_assertion (private_key_jwt, RFC 7523), or, for a public client, client_id alone.";

export const getOpenIdConfiguration = createRoute({
  method: "get",
  path: "/.well-known/openid-configuration",
  operationId: "getOpenIdConfiguration",
  tags: ["OAuth"],
  summary: "OpenID Connect Discovery 1.0: the provider's endpoints and what it supports",
  description: "The same document as /.well-known/oauth-authorization-server (one source).",
  security: NO_SECURITY,
  responses: {
    200: { ...jsonContent(ProviderMetadataSchema, "The metadata"), headers: publicCacheHeaders },
    ...NO_CLIENT_ERROR_EXPECTED,
  },
});

export const getAuthorizationServerMetadata = createRoute({
  method: "get",
  path: "/.well-known/oauth-authorization-server",
  operationId: "getAuthorizationServerMetadata",
  tags: ["Discovery"],
  summary: "RFC 8414 authorization server metadata",
  description: "The same document as /.well-known/openid-configuration (one source). Verifiers of access tokens find `jwks_uri` here from a token's issuer.",
  security: NO_SECURITY,
  responses: {
    200: { ...jsonContent(ProviderMetadataSchema, "The metadata"), headers: publicCacheHeaders },
    ...NO_CLIENT_ERROR_EXPECTED,
  },
});

export const requestToken = createRoute({
  method: "post",
  path: "/oauth/token",
  operationId: "requestToken",
  tags: ["OAuth"],
  summary: "The OAuth 2.1 token endpoint: authorization_code (PKCE S256), refresh_token, client_credentials",
  description: `${CLIENT_AUTHENTICATION} A code is single use: a second use fails and revokes what the first issued. A refresh token rotates on every use; presenting a spent one revokes the grant.`,
  security: NO_SECURITY,
  request: { body: formBody(TokenRequestSchema, "RFC 6749 §4.1.3, §6, §4.4 parameters") },
  responses: {
    200: jsonContent(TokenResponseSchema, "The tokens"),
    ...oauthErrors({
      400: "invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope, invalid_target",
      401: "invalid_client (with WWW-Authenticate: Basic when the client tried HTTP Basic)",
      503: "temporarily_unavailable: storage is down, or the provider has no asymmetric signing key",
    }),
  },
});

export const revokeToken = createRoute({
  method: "post",
  path: "/oauth/revoke",
  operationId: "revokeToken",
  tags: ["OAuth"],
  summary: "RFC 7009 token revocation",
  description: `${CLIENT_AUTHENTICATION} A refresh token ends its grant; an access token ends the grant it belongs to (its session). An unknown token, or another client's, changes nothing and answers 200 all the same.`,
  security: NO_SECURITY,
  request: { body: formBody(TokenFormSchema, "The token and an optional token_type_hint") },
  responses: {
    200: { description: "Revoked, or nothing to revoke" },
    ...oauthErrors({ 400: "invalid_request", 401: "invalid_client", 503: "temporarily_unavailable" }),
  },
});

export const introspectToken = createRoute({
  method: "post",
  path: "/oauth/introspect",
  operationId: "introspectToken",
  tags: ["OAuth"],
  summary: "RFC 7662 token introspection, for confidential clients (resource servers)",
  description: `${CLIENT_AUTHENTICATION} Public clients are refused. An access token is active while it is unexpired and its grant (session) and user are live; a refresh token is shown only to the client that holds it.`,
  security: NO_SECURITY,
  request: { body: formBody(TokenFormSchema, "The token and an optional token_type_hint") },
  responses: {
    200: jsonContent(IntrospectionSchema, "What the token is, or only active: false"),
    ...oauthErrors({ 400: "invalid_request", 401: "invalid_client", 503: "temporarily_unavailable" }),
  },
});

const userInfoRoute = (method: "get" | "post", operationId: string) =>
  createRoute({
    method,
    path: "/oauth/userinfo",
    operationId,
    tags: ["OAuth"],
    summary: "OIDC Core §5.3 userinfo: the claims of the access token's scopes",
    description: "An access token with the openid scope; `profile` releases name and updated_at, `email` the address and whether it is verified.",
    security: BEARER_SECURITY,
    responses: {
      200: jsonContent(UserInfoSchema, "The user's claims"),
      ...oauthErrors({ 401: "invalid_token (RFC 6750, with WWW-Authenticate)", 403: "insufficient_scope", 503: "temporarily_unavailable" }),
    },
  });

export const getUserInfo = userInfoRoute("get", "getUserInfo");
export const postUserInfo = userInfoRoute("post", "postUserInfo");
