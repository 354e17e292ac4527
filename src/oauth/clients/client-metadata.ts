// zod as @hono/zod-openapi extends it: the admin API documents these very schemas (`.openapi()`),
// and a process that loads this module first (the CLI) must find that method on them too.
import { z } from "@hono/zod-openapi";
import type { FieldError } from "../../http/problem.js";
import type { ClientAuthMethod, GrantType, OAuthClient } from "./store.js";

/**
 * What an admin may register, field by field (used by the admin API's schemas and by the CLI), and
 * the rules across fields (`clientRuleViolations`), which the service checks on create and on every
 * PATCH against the merged result.
 */
export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const satisfies readonly GrantType[];
export const AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"] as const satisfies readonly ClientAuthMethod[];
export const DEFAULT_SCOPES = ["openid", "profile", "email"];

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * A redirect URI: absolute, no fragment (RFC 6749 §3.1.2); https, or http only on a loopback host
 * (RFC 8252 §7.3), or a private-use scheme with a dot in it for native apps (RFC 8252 §7.1,
 * `com.example.app:/callback`), so that it names a reverse domain the app's publisher controls.
 */
export function redirectUriProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URI";
  }
  if (value.includes("#")) return "must not contain a fragment";
  const scheme = url.protocol.slice(0, -1);
  if (scheme === "https") return url.hostname ? null : "must name a host";
  if (scheme === "http") return LOOPBACK_HOSTS.has(url.hostname) ? null : "may use http only on a loopback host (127.0.0.1, [::1], localhost)";
  if (scheme.includes(".")) return null;
  return "must use https, http on a loopback host, or a private-use scheme with a dot (com.example.app:/callback)";
}

export const RedirectUriSchema = z
  .string()
  .max(2000, "must be at most 2000 characters")
  .superRefine((value, ctx) => {
    const problem = redirectUriProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** An RFC 6749 §3.3 scope token: printable ASCII but space, `"` and `\`. */
export const ScopeSchema = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "must be a scope token (printable ASCII, no space, quote or backslash)").max(128);

/** A public key of a client's JWKS; a private one (with `d`) is refused, it must never leave the client. */
export const PublicJwkSchema = z
  .looseObject({ kty: z.enum(["RSA", "EC", "OKP"], { error: "must be an RSA, EC or OKP key" }), kid: z.string().optional() })
  .refine((jwk) => !("d" in jwk) && !("p" in jwk) && !("k" in jwk), "must be a public key (no private members such as d)");

export const ClientNameSchema = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");

const uniqueList = <T extends z.ZodType<string>>(item: T, max: number) => z.array(item).max(max, `must hold at most ${max} entries`).transform((list) => [...new Set(list)]);

/** The body of POST /admin/clients (and the CLI's flags), before defaults. */
export const CreateClientFieldsSchema = z.object({
  name: ClientNameSchema,
  type: z.enum(["public", "confidential"], { error: 'must be "public" or "confidential"' }),
  redirect_uris: uniqueList(RedirectUriSchema, 20).default([]),
  post_logout_redirect_uris: uniqueList(RedirectUriSchema, 20).default([]),
  grant_types: uniqueList(z.enum(GRANT_TYPES), 3).optional(),
  scopes: uniqueList(ScopeSchema, 50).optional(),
  first_party: z.boolean().default(false),
  token_endpoint_auth_method: z.enum(AUTH_METHODS).optional(),
  jwks: z.array(PublicJwkSchema).min(1, "must hold at least one key").max(10).nullable().optional(),
});

/** The body of PATCH /admin/clients/{id}: any of the changeable fields. */
export const UpdateClientFieldsSchema = z
  .object({
    name: ClientNameSchema.optional(),
    redirect_uris: uniqueList(RedirectUriSchema, 20).optional(),
    post_logout_redirect_uris: uniqueList(RedirectUriSchema, 20).optional(),
    grant_types: uniqueList(z.enum(GRANT_TYPES), 3).optional(),
    scopes: uniqueList(ScopeSchema, 50).optional(),
    first_party: z.boolean().optional(),
    token_endpoint_auth_method: z.enum(AUTH_METHODS).optional(),
    jwks: z.array(PublicJwkSchema).min(1, "must hold at least one key").max(10).nullable().optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), "give at least one field to change");

type Rules = Pick<OAuthClient, "type" | "redirectUris" | "grantTypes" | "tokenEndpointAuthMethod" | "jwks">;

/** The rules across fields, as field errors (JSON Pointers into the request body); empty when the client is valid. */
export function clientRuleViolations(client: Rules): FieldError[] {
  const errors: FieldError[] = [];
  const grants = new Set(client.grantTypes);
  const add = (field: string, detail: string) => errors.push({ pointer: `#/${field}`, detail });
  if (grants.size === 0) add("grant_types", "must hold at least one grant type");
  if (client.type === "public") {
    if (grants.has("client_credentials")) add("grant_types", "client_credentials is only for confidential clients");
    if (!grants.has("authorization_code")) add("grant_types", "a public client needs authorization_code");
    if (client.tokenEndpointAuthMethod !== "none") add("token_endpoint_auth_method", 'a public client authenticates with "none" (PKCE is its proof)');
  } else if (client.tokenEndpointAuthMethod === "none") {
    add("token_endpoint_auth_method", 'a confidential client cannot use "none"');
  }
  if (grants.has("refresh_token") && !grants.has("authorization_code")) add("grant_types", "refresh_token requires authorization_code");
  if (grants.has("authorization_code") && client.redirectUris.length === 0) add("redirect_uris", "authorization_code needs at least one redirect URI");
  if (client.tokenEndpointAuthMethod === "private_key_jwt" && !client.jwks?.length) add("jwks", "private_key_jwt needs the client's public keys");
  return errors;
}
