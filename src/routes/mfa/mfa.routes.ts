import { createRoute } from "@hono/zod-openapi";
import { BEARER_SECURITY, BODY_PROBLEMS, DEPENDENCY_PROBLEMS, jsonBody, jsonContent, problemResponses } from "../../http/openapi.js";
import { requireAuth } from "../../auth/require-auth.js";
import { requireUserRateLimit } from "../../rate-limit/middleware.js";
import { BeginTotpBodySchema, ConfirmTotpBodySchema, MfaStatusSchema, PasswordAndCodeBodySchema, RecoveryCodesSchema, TotpEnrolmentSchema } from "./mfa.schemas.js";

const tags = ["Second factor"];
const CODE_PROBLEMS = ["INVALID_MFA_CODE", "RATE_LIMITED", "SERVER_BUSY"] as const;

export const getMfa = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  method: "get",
  path: "/me/mfa",
  operationId: "getMyMfa",
  tags,
  summary: "The caller's second factors",
  description: "Whether TOTP is enabled, how many passkeys are registered and how many unused recovery codes are left. Never answers a secret.",
  responses: {
    200: jsonContent(MfaStatusSchema, "Which factors are enabled, and how many recovery codes are left"),
    ...problemResponses("INVALID_TOKEN", ...DEPENDENCY_PROBLEMS),
  },
});

export const beginTotp = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("mfa")] as const,
  method: "post",
  path: "/me/mfa/totp",
  operationId: "beginTotpEnrolment",
  tags,
  summary: "Start enrolling an authenticator app (TOTP)",
  description:
    "Needs the password (counted like a failed login when wrong). Answers a new secret; it is pending, and logins do not ask for it, until POST /me/mfa/totp/confirm proves the app has it. Calling again replaces a pending secret; 409 while TOTP is enabled.",
  request: { body: jsonBody(BeginTotpBodySchema) },
  responses: {
    200: jsonContent(TotpEnrolmentSchema, "The pending secret"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_TOKEN", "WRONG_PASSWORD", "CONFLICT", "RATE_LIMITED", "SERVER_BUSY", "MFA_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});

export const confirmTotp = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("mfa")] as const,
  method: "post",
  path: "/me/mfa/totp/confirm",
  operationId: "confirmTotpEnrolment",
  tags,
  summary: "Confirm the enrolment with a first code; answers the recovery codes once",
  description: "From now on logins need a second step. The 10 recovery codes are shown only in this answer.",
  request: { body: jsonBody(ConfirmTotpBodySchema) },
  responses: {
    200: jsonContent(RecoveryCodesSchema, "TOTP is enabled; the recovery codes"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_TOKEN", ...CODE_PROBLEMS, "CONFLICT", "MFA_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});

export const disableTotp = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("mfa")] as const,
  method: "delete",
  path: "/me/mfa/totp",
  operationId: "disableTotp",
  tags,
  summary: "Remove the authenticator app and the recovery codes",
  description: "Needs the password and a current code. Every other session of the user ends.",
  request: { body: jsonBody(PasswordAndCodeBodySchema) },
  responses: {
    204: { description: "TOTP is off" },
    ...problemResponses(...BODY_PROBLEMS, "INVALID_TOKEN", "WRONG_PASSWORD", ...CODE_PROBLEMS, "CONFLICT", "MFA_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});

export const regenerateRecoveryCodes = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("mfa")] as const,
  method: "post",
  path: "/me/mfa/recovery-codes",
  operationId: "regenerateRecoveryCodes",
  tags,
  summary: "A new set of recovery codes; the old set stops working",
  description: "Needs the password and a current code.",
  request: { body: jsonBody(PasswordAndCodeBodySchema) },
  responses: {
    200: jsonContent(RecoveryCodesSchema, "The new recovery codes, shown this once"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_TOKEN", "WRONG_PASSWORD", ...CODE_PROBLEMS, "CONFLICT", "MFA_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});
