import { createRoute } from "@hono/zod-openapi";
import {
  BEARER_SECURITY,
  BODY_PROBLEMS,
  DEPENDENCY_PROBLEMS,
  jsonBody,
  jsonContent,
  NO_SECURITY,
  problemResponses,
} from "../../http/openapi.js";
import { requireAuth } from "../../auth/require-auth.js";
import {
  LoginBodySchema,
  LoginMfaBodySchema,
  LOGIN_RESPONSE_EXAMPLES,
  LoginResponseSchema,
  LogoutBodySchema,
  RefreshTokenBodySchema,
  RegisterBodySchema,
  TokenPairSchema,
  UserSchema,
} from "./auth.schemas.js";
import { PASSWORD_RULES } from "../../password/policy.js";

const tags = ["Auth"];

export const register = createRoute({
  method: "post",
  path: "/register",
  operationId: "register",
  tags,
  summary: "Create an account",
  description:
    "Creates the account with the role `user`; it logs nobody in (POST /login does). The new password must pass the password policy, each refusal a 400 naming its rule. Rate limited per client address.",
  security: NO_SECURITY,
  request: { body: jsonBody(RegisterBodySchema) },
  responses: {
    201: jsonContent(UserSchema, "The new user"),
    ...problemResponses(...BODY_PROBLEMS, ...PASSWORD_RULES, "EMAIL_TAKEN", "RATE_LIMITED", "SERVER_BUSY", ...DEPENDENCY_PROBLEMS),
  },
});

export const login = createRoute({
  method: "post",
  path: "/login",
  operationId: "login",
  tags,
  summary: "Exchange email and password for a token pair",
  description:
    "An unknown email and a wrong password get the same 401. A disabled account gets 403 only when the password is right. For an account with a second factor, a right password answers MfaRequired (no tokens): finish with POST /login/mfa. Rate limited per client address, and failed passwords are throttled per account and source (429).",
  security: NO_SECURITY,
  request: { body: jsonBody(LoginBodySchema) },
  responses: {
    200: jsonContent(LoginResponseSchema, "A new session's token pair, or the second step (MfaRequired)", LOGIN_RESPONSE_EXAMPLES),
    ...problemResponses(
      ...BODY_PROBLEMS,
      "INVALID_CREDENTIALS",
      "ACCOUNT_DISABLED",
      "EMAIL_NOT_VERIFIED",
      "RATE_LIMITED",
      "SERVER_BUSY",
      ...DEPENDENCY_PROBLEMS,
    ),
  },
});

export const loginMfa = createRoute({
  method: "post",
  path: "/login/mfa",
  operationId: "loginMfa",
  tags,
  summary: "Finish a login with the second factor",
  description:
    "The mfa_token of POST /login with a current TOTP code or an unused recovery code. Wrong codes count toward the account's failed-login budget (then 429); the fifth wrong code ends the mfa_token (401 INVALID_MFA_TOKEN: log in again).",
  security: NO_SECURITY,
  request: { body: jsonBody(LoginMfaBodySchema) },
  responses: {
    200: jsonContent(TokenPairSchema, "A new session's token pair"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_MFA_TOKEN", "INVALID_MFA_CODE", "ACCOUNT_DISABLED", "RATE_LIMITED", "MFA_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});

export const me = createRoute({
  method: "get",
  path: "/me",
  operationId: "getMe",
  tags,
  summary: "The user the access token belongs to",
  description: "Read from the database on every call, so it shows the user as they are now, not as the token's claims were.",
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  responses: {
    200: jsonContent(UserSchema, "The current user"),
    ...problemResponses("INVALID_TOKEN", ...DEPENDENCY_PROBLEMS),
  },
});

export const refresh = createRoute({
  method: "post",
  path: "/refresh",
  operationId: "refresh",
  tags,
  summary: "Rotate a refresh token",
  description:
    "Spends the refresh token and returns a new pair. Presenting a token older than the session's current one revokes the whole session, except for the token rotated within the last REFRESH_REUSE_GRACE_SECONDS, which gets the same successor again.",
  security: NO_SECURITY,
  request: { body: jsonBody(RefreshTokenBodySchema) },
  responses: {
    200: jsonContent(TokenPairSchema, "The successor token pair"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_REFRESH_TOKEN", "RATE_LIMITED", ...DEPENDENCY_PROBLEMS),
  },
});

export const logout = createRoute({
  method: "post",
  path: "/logout",
  operationId: "logout",
  tags,
  summary: "Revoke the session of a refresh token (or the user's other sessions, or all of them)",
  description:
    "Answers 204 also for an unknown or already revoked token, so it reveals nothing. Revoked sessions' access tokens stop working at this service at once.",
  security: NO_SECURITY,
  request: { body: jsonBody(LogoutBodySchema) },
  responses: {
    204: { description: "The session is revoked (or never existed)" },
    ...problemResponses(...BODY_PROBLEMS, ...DEPENDENCY_PROBLEMS),
  },
});

export type RegisterRoute = typeof register;
export type LoginRoute = typeof login;
export type LoginMfaRoute = typeof loginMfa;
export type MeRoute = typeof me;
export type RefreshRoute = typeof refresh;
export type LogoutRoute = typeof logout;
