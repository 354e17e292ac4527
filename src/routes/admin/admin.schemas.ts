import { z } from "@hono/zod-openapi";
import { fromBase64Url, toBase64Url } from "../../lib/encoding.js";
import { isWellFormedText, limitQueryParam, NO_CONTROL_CHARACTERS } from "../../http/openapi.js";
import { isUuid } from "../../lib/uuid.js";
import type { User } from "../../users/store.js";
import { EXAMPLE, UserSchema, toUserBody } from "../auth/auth.schemas.js";
import type { OAuthClient } from "../../oauth/clients/index.js";
import { AUTH_METHODS, CreateClientFieldsSchema, GRANT_TYPES, UpdateClientFieldsSchema } from "../../oauth/clients/client-metadata.js";

const EXAMPLE_ADMIN_USER = {
  id: EXAMPLE.userId,
  email: EXAMPLE.email,
  name: EXAMPLE.name,
  roles: ["user"],
  email_verified: true,
  created_at: EXAMPLE.createdAt,
  updated_at: EXAMPLE.updatedAt,
  disabled_at: null,
};

export const RoleSchema = z
  .string({ error: "must be a string" })
  .regex(/^[a-z][a-z0-9_:-]{0,63}$/, "must be 1-64 lower-case letters, digits, _ : or -, starting with a letter");

export const AdminUserSchema = UserSchema.extend({
  disabled_at: z.iso.datetime().nullable(),
}).openapi("AdminUser", { example: EXAMPLE_ADMIN_USER });

export const AdminUserPageSchema = z
  .object({ items: z.array(AdminUserSchema), next_cursor: z.string().nullable() })
  .openapi("AdminUserPage", { example: { items: [EXAMPLE_ADMIN_USER], next_cursor: "MDE5M2I3ZTQtNWYxYy03YTJiLTljM2QtNGU1ZjZhN2I4Yzlk" } });

export const AdminUserDetailSchema = AdminUserSchema.extend({
  session_count: z.number().int().openapi({ description: "Live sessions" }),
}).openapi("AdminUserDetail", { example: { ...EXAMPLE_ADMIN_USER, session_count: 2 } });

/** Cursors are opaque to clients: base64url of the last id seen. */
export function encodeCursor(afterId: string): string {
  return toBase64Url(new TextEncoder().encode(afterId));
}

function decodeCursor(cursor: string): string | null {
  const bytes = fromBase64Url(cursor);
  const id = bytes ? new TextDecoder().decode(bytes) : "";
  return isUuid(id) ? id : null;
}

export const ListUsersQuerySchema = z.object({
  email: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(254, "must be at most 254 characters")
    .regex(NO_CONTROL_CHARACTERS, "must not contain control characters or unpaired surrogates")
    .refine(isWellFormedText, "must not contain control characters or unpaired surrogates")
    .optional()
    .openapi({ param: { name: "email", in: "query" }, description: "Case-insensitive part of the email", example: "lovelace" }),
  cursor: z
    .string()
    .max(128, "is not a cursor from this API")
    .regex(NO_CONTROL_CHARACTERS, "is not a cursor from this API")
    .transform((cursor, ctx) => {
      const id = decodeCursor(cursor);
      if (!id) {
        ctx.addIssue({ code: "custom", message: "is not a cursor from this API" });
        return z.NEVER;
      }
      return id;
    })
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, type: "string", description: "`next_cursor` of the previous page", example: "MDE5M2I3ZTQtNWYxYy03YTJiLTljM2QtNGU1ZjZhN2I4Yzlk" }),
  limit: limitQueryParam(100, 50),
});

export const UserIdParamsSchema = z.object({
  id: z.uuid({ error: "must be a user id (UUID)" }).openapi({ param: { name: "id", in: "path" }, example: EXAMPLE.userId }),
});

export const UpdateUserBodySchema = z
  .object({
    roles: z.array(RoleSchema).min(1, "must hold at least one role").max(20, "must hold at most 20 roles").optional(),
    disabled: z.boolean({ error: "must be true or false" }).optional(),
  })
  .refine((body) => body.roles !== undefined || body.disabled !== undefined, "give roles, disabled or both")
  .openapi("UpdateUserRequest", { example: { roles: ["user", "admin"] } });

export function toAdminUserBody(user: User): z.infer<typeof AdminUserSchema> {
  return { ...toUserBody(user), disabled_at: user.disabledAt?.toISOString() ?? null };
}

const EXAMPLE_CLIENT = {
  client_id: "n3V8yQm2Tq6cWk1xZpR4sA",
  name: "Web app",
  type: "confidential" as const,
  redirect_uris: ["https://app.example.com/callback"],
  post_logout_redirect_uris: ["https://app.example.com/"],
  grant_types: ["authorization_code" as const, "refresh_token" as const],
  scopes: ["openid", "profile", "email", "offline_access"],
  first_party: true,
  token_endpoint_auth_method: "client_secret_basic" as const,
  jwks: null,
  created_at: EXAMPLE.createdAt,
  updated_at: EXAMPLE.updatedAt,
};
const EXAMPLE_SECRET = "kq0cS1y7bq3Jk5b0xv7o0w7q4yYx1H3E0mZ2nq8d5cE";

export const OAuthClientSchema = z
  .object({
    client_id: z.string(),
    name: z.string(),
    type: z.enum(["public", "confidential"]),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    grant_types: z.array(z.enum(GRANT_TYPES)),
    scopes: z.array(z.string()),
    first_party: z.boolean(),
    token_endpoint_auth_method: z.enum(AUTH_METHODS),
    jwks: z.array(z.record(z.string(), z.unknown())).nullable().openapi({ description: "Public keys for private_key_jwt (RFC 7523); null otherwise" }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("OAuthClient", { example: EXAMPLE_CLIENT });

export const OAuthClientWithSecretSchema = OAuthClientSchema.extend({
  client_secret: z.string().optional().openapi({ description: "Shown this once, for a client that authenticates with a secret; only its hash is stored" }),
}).openapi("OAuthClientWithSecret", { example: { ...EXAMPLE_CLIENT, client_secret: EXAMPLE_SECRET } });

export const OAuthClientListSchema = z.object({ items: z.array(OAuthClientSchema) }).openapi("OAuthClientList", { example: { items: [EXAMPLE_CLIENT] } });

export const ClientSecretSchema = z.object({ client_secret: z.string() }).openapi("ClientSecret", { example: { client_secret: EXAMPLE_SECRET } });

export const CreateClientBodySchema = CreateClientFieldsSchema.openapi("CreateClientRequest", {
  example: { name: "Web app", type: "confidential", redirect_uris: ["https://app.example.com/callback"], grant_types: ["authorization_code", "refresh_token"], scopes: ["openid", "profile", "email", "offline_access"], first_party: true },
});

export const UpdateClientBodySchema = UpdateClientFieldsSchema.openapi("UpdateClientRequest", { example: { name: "Web app (staging)", redirect_uris: ["https://staging.app.example.com/callback"] } });

/** A client_id as a path parameter: the registry's alphabet, so a malformed one is a 400, not a lookup. */
export const clientIdPathParam = (name: string, example: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a client_id")
    .openapi({ param: { name, in: "path" }, example });

export const ClientIdParamsSchema = z.object({ id: clientIdPathParam("id", EXAMPLE_CLIENT.client_id) });

export function toClientBody(client: OAuthClient): z.infer<typeof OAuthClientSchema> {
  return {
    client_id: client.id,
    name: client.name,
    type: client.type,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    scopes: client.scopes,
    first_party: client.firstParty,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    jwks: client.jwks as Record<string, unknown>[] | null,
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
  };
}
