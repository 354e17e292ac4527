import { createRoute } from "@hono/zod-openapi";
import { BEARER_SECURITY, BODY_PROBLEMS, DEPENDENCY_PROBLEMS, jsonBody, jsonContent, problemResponses } from "../../http/openapi.js";
import { requireAuth } from "../../auth/require-auth.js";
import { requireRole } from "../../auth/require-role.js";
import {
  ClientIdParamsSchema,
  ClientSecretSchema,
  CreateClientBodySchema,
  OAuthClientListSchema,
  OAuthClientSchema,
  OAuthClientWithSecretSchema,
  UpdateClientBodySchema,
  AdminUserDetailSchema,
  AdminUserPageSchema,
  AdminUserSchema,
  ListUsersQuerySchema,
  UpdateUserBodySchema,
  UserIdParamsSchema,
} from "./admin.schemas.js";

const tags = ["Admin"];
const description = "Needs the `admin` role, as the user holds it now (a role removed is refused on the next request, whatever the token's `roles` claim says).";
const AUTH_PROBLEMS = ["INVALID_TOKEN", "INSUFFICIENT_ROLE"] as const;

export const listUsers = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  method: "get",
  path: "/admin/users",
  operationId: "adminListUsers",
  tags,
  summary: "List users in creation order, optionally by part of the email",
  description: `${description} Pages never skip or repeat a user, also while users are being added.`,
  request: { query: ListUsersQuerySchema },
  responses: {
    200: jsonContent(
      AdminUserPageSchema,
      "A page of users; next_cursor is null on the last page",
    ),
    ...problemResponses("VALIDATION_FAILED", ...AUTH_PROBLEMS, ...DEPENDENCY_PROBLEMS),
  },
});

export const getUser = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  method: "get",
  path: "/admin/users/{id}",
  operationId: "adminGetUser",
  tags,
  summary: "One user, with disabled_at and the number of live sessions",
  description,
  request: { params: UserIdParamsSchema },
  responses: {
    200: jsonContent(AdminUserDetailSchema, "The user"),
    ...problemResponses("VALIDATION_FAILED", ...AUTH_PROBLEMS, "NOT_FOUND", ...DEPENDENCY_PROBLEMS),
  },
});

export const updateUser = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  method: "patch",
  path: "/admin/users/{id}",
  operationId: "adminUpdateUser",
  tags,
  summary: "Change a user's roles, or disable or enable the account",
  description: `${description} Disabling ends every session of the user at once. Admins cannot disable themselves or drop their own admin role (409).`,
  request: { params: UserIdParamsSchema, body: jsonBody(UpdateUserBodySchema) },
  responses: {
    200: jsonContent(AdminUserSchema, "The updated user"),
    ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, "NOT_FOUND", "CONFLICT", ...DEPENDENCY_PROBLEMS),
  },
});

export const revokeUserSessions = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  method: "delete",
  path: "/admin/users/{id}/sessions",
  operationId: "adminRevokeUserSessions",
  tags,
  summary: "End every session of a user",
  description,
  request: { params: UserIdParamsSchema },
  responses: {
    204: { description: "Every session of the user is ended" },
    ...problemResponses("VALIDATION_FAILED", ...AUTH_PROBLEMS, "NOT_FOUND", ...DEPENDENCY_PROBLEMS),
  },
});

export const resetUserMfa = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  method: "delete",
  path: "/admin/users/{id}/mfa",
  operationId: "adminResetUserMfa",
  tags,
  summary: "Remove a user's second factors",
  description: `${description} For a user who lost their authenticator: TOTP, the recovery codes and the passkeys are removed, so the next login needs only the password; the user's sessions are kept (end them with DELETE /admin/users/{id}/sessions). Recorded as the user's \`mfa_disabled\` (and \`passkey_removed\`) events naming the admin. 204 also when the user had no factor.`,
  request: { params: UserIdParamsSchema },
  responses: {
    204: { description: "The user has no second factor now" },
    ...problemResponses("VALIDATION_FAILED", ...AUTH_PROBLEMS, "NOT_FOUND", ...DEPENDENCY_PROBLEMS),
  },
});


export const createClient = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  tags,
  method: "post",
  path: "/admin/clients",
  operationId: "adminCreateClient",
  summary: "Register an OAuth client",
  description: `${description} A confidential client gets a \`client_secret\`, shown in this answer only (stored as a hash); a public client gets none and must use PKCE.`,
  request: { body: jsonBody(CreateClientBodySchema) },
  responses: {
    201: jsonContent(OAuthClientWithSecretSchema, "The client, with its secret this once"),
    ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, ...DEPENDENCY_PROBLEMS),
  },
});

export const listClients = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  tags,
  method: "get",
  path: "/admin/clients",
  operationId: "adminListClients",
  summary: "List OAuth clients, oldest first",
  description,
  responses: {
    200: jsonContent(OAuthClientListSchema, "Every registered client"),
    ...problemResponses(...AUTH_PROBLEMS, ...DEPENDENCY_PROBLEMS),
  },
});

export const getClient = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  tags,
  method: "get",
  path: "/admin/clients/{id}",
  operationId: "adminGetClient",
  summary: "One OAuth client",
  description,
  request: { params: ClientIdParamsSchema },
  responses: {
    200: jsonContent(OAuthClientSchema, "The client"),
    ...problemResponses("VALIDATION_FAILED", ...AUTH_PROBLEMS, "CLIENT_NOT_FOUND", ...DEPENDENCY_PROBLEMS),
  },
});

export const updateClient = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  tags,
  method: "patch",
  path: "/admin/clients/{id}",
  operationId: "adminUpdateClient",
  summary: "Change an OAuth client's settings",
  description: `${description} The fields given replace the stored ones; the result must satisfy the same rules as a new client. The type cannot change.`,
  request: { params: ClientIdParamsSchema, body: jsonBody(UpdateClientBodySchema) },
  responses: {
    200: jsonContent(OAuthClientSchema, "The updated client"),
    ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, "CLIENT_NOT_FOUND", ...DEPENDENCY_PROBLEMS),
  },
});

export const deleteClient = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  tags,
  method: "delete",
  path: "/admin/clients/{id}",
  operationId: "adminDeleteClient",
  summary: "Delete an OAuth client and end its grants",
  description,
  request: { params: ClientIdParamsSchema },
  responses: {
    204: { description: "The client and its grants are gone" },
    ...problemResponses("VALIDATION_FAILED", ...AUTH_PROBLEMS, "CLIENT_NOT_FOUND", ...DEPENDENCY_PROBLEMS),
  },
});

export const rotateClientSecret = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireRole({ anyOf: ["admin"] })] as const,
  tags,
  method: "post",
  path: "/admin/clients/{id}/secret",
  operationId: "adminRotateClientSecret",
  summary: "Replace an OAuth client's secret",
  description: `${description} The old secret stops working at once; the new one is shown in this answer only. 409 for a client without a secret (public, or private_key_jwt).`,
  request: { params: ClientIdParamsSchema },
  responses: {
    200: jsonContent(ClientSecretSchema, "The new secret"),
    ...problemResponses("VALIDATION_FAILED", ...AUTH_PROBLEMS, "CLIENT_NOT_FOUND", "CLIENT_HAS_NO_SECRET", ...DEPENDENCY_PROBLEMS),
  },
});
