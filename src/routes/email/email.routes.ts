import { createRoute } from "@hono/zod-openapi";
import { requireAuth } from "../../auth/require-auth.js";
import { requireUserRateLimit } from "../../rate-limit/middleware.js";
import { BEARER_SECURITY, BODY_PROBLEMS, DEPENDENCY_PROBLEMS, jsonBody, jsonContent, NO_SECURITY, problemResponses } from "../../http/openapi.js";
import { UserSchema } from "../auth/auth.schemas.js";
import { ChangeEmailBodySchema, ForgotPasswordBodySchema, ResetPasswordBodySchema, VerifyEmailBodySchema } from "./email.schemas.js";
import { PASSWORD_RULES } from "../../password/policy.js";

const tags = ["Email"];

export const requestVerification = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  method: "post",
  path: "/email/verification",
  operationId: "requestEmailVerification",
  tags,
  summary: "Send a verification link to the caller's address",
  description: "202 also when the address is verified already (then nothing is sent). The link's token is spent only by POST /email/verify.",
  responses: {
    202: { description: "The message is queued (or the address is verified already)" },
    ...problemResponses("INVALID_TOKEN", "RATE_LIMITED", "MAIL_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});

export const verifyEmail = createRoute({
  security: NO_SECURITY,
  method: "post",
  path: "/email/verify",
  operationId: "verifyEmail",
  tags,
  summary: "Spend a verification or email-change token",
  description: "A verification token marks the address verified; an email-change token makes its new address the account's. Each token works once.",
  request: { body: jsonBody(VerifyEmailBodySchema) },
  responses: {
    200: jsonContent(UserSchema, "The user as they are now"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_ONE_TIME_TOKEN", "EMAIL_TAKEN", ...DEPENDENCY_PROBLEMS),
  },
});

export const forgotPassword = createRoute({
  security: NO_SECURITY,
  method: "post",
  path: "/password/forgot",
  operationId: "forgotPassword",
  tags,
  summary: "Send a password-reset link, if the address has an account",
  description: "Always the same 202, with the same headers, for known and unknown addresses; the lookup and the message happen after the answer.",
  request: { body: jsonBody(ForgotPasswordBodySchema) },
  responses: {
    202: { description: "Accepted: a link is sent if the address has an account" },
    ...problemResponses(...BODY_PROBLEMS, "RATE_LIMITED", "MAIL_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});

export const resetPassword = createRoute({
  security: NO_SECURITY,
  method: "post",
  path: "/password/reset",
  operationId: "resetPassword",
  tags,
  summary: "Set a new password with a reset token",
  description: "Every session of the user ends and every reset token of the user stops working. A new password that breaks the password rule is a 400 and leaves the token usable.",
  request: { body: jsonBody(ResetPasswordBodySchema) },
  responses: {
    204: { description: "The password is set" },
    ...problemResponses(...BODY_PROBLEMS, ...PASSWORD_RULES, "INVALID_ONE_TIME_TOKEN", "SERVER_BUSY", ...DEPENDENCY_PROBLEMS),
  },
});

export const changeEmail = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("passwordConfirm")] as const,
  method: "post",
  path: "/me/email",
  operationId: "changeEmail",
  tags: ["Account", ...tags],
  summary: "Ask to change the caller's address",
  description:
    "Needs the password, and with TOTP enabled a current `code` or a `recovery_code` (step-up). A confirmation link goes to the new address; the address changes when its token is spent at POST /email/verify, and then a notice goes to the old address.",
  request: { body: jsonBody(ChangeEmailBodySchema) },
  responses: {
    202: { description: "The confirmation message is queued" },
    ...problemResponses(...BODY_PROBLEMS, "INVALID_TOKEN", "WRONG_PASSWORD", "MFA_CODE_REQUIRED", "INVALID_MFA_CODE", "EMAIL_TAKEN", "CONFLICT", "RATE_LIMITED", "SERVER_BUSY", "MFA_NOT_CONFIGURED", "MAIL_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});
