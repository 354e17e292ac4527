import { createRoute } from "@hono/zod-openapi";
import { BEARER_SECURITY, BODY_PROBLEMS, DEPENDENCY_PROBLEMS, jsonBody, jsonContent, problemResponses } from "../../http/openapi.js";
import { requireAuth } from "../../auth/require-auth.js";
import { requireUserRateLimit } from "../../rate-limit/middleware.js";
import { UserSchema } from "../auth/auth.schemas.js";
import {
  ChangePasswordBodySchema,
  DeleteAccountBodySchema,
  EventsQuerySchema,
  SecurityEventListSchema,
  SessionIdParamsSchema,
  SessionListSchema,
  UpdateProfileBodySchema,
} from "./account.schemas.js";
import { PASSWORD_RULES } from "../../password/policy.js";

export const listSessions = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  method: "get",
  path: "/sessions",
  operationId: "listSessions",
  tags: ["Sessions"],
  summary: "The caller's live sessions, newest first",
  description: "One session per login, with where it was made and when it ends unless refreshed.",
  responses: {
    200: jsonContent(SessionListSchema, "Live sessions; `current` marks the one of this access token"),
    ...problemResponses("INVALID_TOKEN", ...DEPENDENCY_PROBLEMS),
  },
});

export const revokeSession = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  method: "delete",
  path: "/sessions/{id}",
  operationId: "revokeSession",
  tags: ["Sessions"],
  summary: "End one of the caller's sessions",
  description: "Its refresh token and access tokens stop working here at once. Another user's session id gets 404, like an unknown one.",
  request: { params: SessionIdParamsSchema },
  responses: {
    204: { description: "The session is ended" },
    ...problemResponses("INVALID_TOKEN", "NOT_FOUND", ...DEPENDENCY_PROBLEMS),
  },
});

export const updateMe = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  method: "patch",
  path: "/me",
  operationId: "updateMe",
  tags: ["Account"],
  summary: "Change the caller's profile (name)",
  description: "`name: null` clears the name.",
  request: { body: jsonBody(UpdateProfileBodySchema) },
  responses: {
    200: jsonContent(UserSchema, "The updated user"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_TOKEN", ...DEPENDENCY_PROBLEMS),
  },
});

export const changePassword = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("passwordConfirm")] as const,
  method: "post",
  path: "/me/password",
  operationId: "changePassword",
  tags: ["Account"],
  summary: "Change the caller's password",
  description:
    "Needs the current password, and with TOTP enabled a current `code` or a `recovery_code` (step-up). Every other session of the user ends; the current one is kept. Wrong passwords and codes count toward the account's failed-login budget; the session that spends it is revoked.",
  request: { body: jsonBody(ChangePasswordBodySchema) },
  responses: {
    204: { description: "Changed" },
    ...problemResponses(...BODY_PROBLEMS, ...PASSWORD_RULES, "INVALID_TOKEN", "WRONG_PASSWORD", "MFA_CODE_REQUIRED", "INVALID_MFA_CODE", "RATE_LIMITED", "SERVER_BUSY", "MFA_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});

export const deleteMe = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("passwordConfirm")] as const,
  method: "delete",
  path: "/me",
  operationId: "deleteMe",
  tags: ["Account"],
  summary: "Delete the caller's account",
  description:
    "Needs the password, and with TOTP enabled a current `code` or a `recovery_code` (step-up). The account, all its sessions and its security events are removed. Wrong passwords and codes count toward the account's failed-login budget; the session that spends it is revoked.",
  request: { body: jsonBody(DeleteAccountBodySchema) },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(...BODY_PROBLEMS, "INVALID_TOKEN", "WRONG_PASSWORD", "MFA_CODE_REQUIRED", "INVALID_MFA_CODE", "RATE_LIMITED", "SERVER_BUSY", "MFA_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});

export const listEvents = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  method: "get",
  path: "/me/events",
  operationId: "listMyEvents",
  tags: ["Account"],
  summary: "The caller's recent security events, newest first",
  description: "Logins, failed logins, refreshes, revocations, password and role changes of the caller's account, kept for SECURITY_EVENT_RETENTION.",
  request: { query: EventsQuerySchema },
  responses: {
    200: jsonContent(SecurityEventListSchema, "Recent events"),
    ...problemResponses("VALIDATION_FAILED", "INVALID_TOKEN", ...DEPENDENCY_PROBLEMS),
  },
});
