import { createRoute } from "@hono/zod-openapi";
import { BEARER_SECURITY, BODY_PROBLEMS, DEPENDENCY_PROBLEMS, jsonBody, jsonContent, NO_SECURITY, problemResponses } from "../../http/openapi.js";
import { requireAuth } from "../../auth/require-auth.js";
import { requireUserRateLimit } from "../../rate-limit/middleware.js";
import { TokenPairSchema } from "../auth/auth.schemas.js";
import {
  AuthenticationOptionsSchema,
  MfaPasskeyOptionsBodySchema,
  PasskeyIdParamsSchema,
  PasskeyListSchema,
  PasskeyLoginBodySchema,
  PasskeyLoginOptionsBodySchema,
  PasskeySchema,
  RegisterPasskeyBodySchema,
  RegistrationOptionsSchema,
  RemovePasskeyBodySchema,
} from "./passkeys.schemas.js";

const tags = ["Passkeys"];

export const registrationOptions = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("mfa")] as const,
  method: "post",
  path: "/me/passkeys/options",
  operationId: "getPasskeyRegistrationOptions",
  tags,
  summary: "Options to register a new passkey",
  description:
    "The creation options (JSON form) for navigator.credentials.create(): a discoverable credential (resident key), attestation `none`, user verification preferred, the caller's passkeys excluded. The challenge works once, for 5 minutes, for POST /me/passkeys of this account only.",
  responses: {
    200: jsonContent(RegistrationOptionsSchema, "The creation options"),
    ...problemResponses("INVALID_TOKEN", "RATE_LIMITED", ...DEPENDENCY_PROBLEMS),
  },
});

export const registerPasskey = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("mfa")] as const,
  method: "post",
  path: "/me/passkeys",
  operationId: "registerPasskey",
  tags,
  summary: "Register a passkey",
  description:
    "The answer of navigator.credentials.create() to the options of POST /me/passkeys/options, verified (challenge, origin, RP ID, attestation) and stored with its signature counter and backup flags. A passkey made with user verification can sign in alone (POST /login/passkey); any passkey can be the second step of a password login.",
  request: { body: jsonBody(RegisterPasskeyBodySchema) },
  responses: {
    201: jsonContent(PasskeySchema, "The new passkey"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_TOKEN", "PASSKEY_REGISTRATION_FAILED", "CONFLICT", "RATE_LIMITED", ...DEPENDENCY_PROBLEMS),
  },
});

export const listPasskeys = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  method: "get",
  path: "/me/passkeys",
  operationId: "listMyPasskeys",
  tags,
  summary: "The caller's passkeys",
  description: "Oldest first. Names and dates only: nothing about a passkey is secret, but nothing more is needed either.",
  responses: {
    200: jsonContent(PasskeyListSchema, "The caller's passkeys"),
    ...problemResponses("INVALID_TOKEN", ...DEPENDENCY_PROBLEMS),
  },
});

export const removePasskey = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth(), requireUserRateLimit("mfa")] as const,
  method: "delete",
  path: "/me/passkeys/{id}",
  operationId: "removePasskey",
  tags,
  summary: "Remove one of the caller's passkeys",
  description:
    "Needs the password, and with TOTP enabled a current code or a recovery code (step-up); wrong ones count like failed logins. Every other session of the user ends. 404 for an id that is not one of the caller's passkeys.",
  request: { params: PasskeyIdParamsSchema, body: jsonBody(RemovePasskeyBodySchema) },
  responses: {
    204: { description: "The passkey is removed" },
    ...problemResponses(...BODY_PROBLEMS, "INVALID_TOKEN", "NOT_FOUND", "WRONG_PASSWORD", "MFA_CODE_REQUIRED", "INVALID_MFA_CODE", "RATE_LIMITED", "SERVER_BUSY", "MFA_NOT_CONFIGURED", ...DEPENDENCY_PROBLEMS),
  },
});

export const loginOptions = createRoute({
  security: NO_SECURITY,
  method: "post",
  path: "/login/passkey/options",
  operationId: "getPasskeyLoginOptions",
  tags,
  summary: "Options for a passwordless login with a passkey",
  description:
    "The request options (JSON form) for navigator.credentials.get(), user verification required. Without `email`, any passkey of this service may answer (discoverable credentials); with it, only a passkey of that account, and the answer is the same whether the account exists or not. Never lists credentials. The challenge works once, for 5 minutes, for POST /login/passkey only. Rate limited per client address with POST /login.",
  request: { body: jsonBody(PasskeyLoginOptionsBodySchema) },
  responses: {
    200: jsonContent(AuthenticationOptionsSchema, "The request options"),
    ...problemResponses(...BODY_PROBLEMS, "RATE_LIMITED", ...DEPENDENCY_PROBLEMS),
  },
});

export const loginWithPasskey = createRoute({
  security: NO_SECURITY,
  method: "post",
  path: "/login/passkey",
  operationId: "loginWithPasskey",
  tags,
  summary: "Log in with a passkey, without a password",
  description:
    "The answer of navigator.credentials.get() to the options of POST /login/passkey/options. User verification (PIN or biometrics) is required: such a passkey is two factors, and the access token's amr is [hwk or swk, user, mfa] (swk for a synced passkey). A refused assertion answers 401 INVALID_PASSKEY and counts toward the account's failed-login budget (then 429); a counter that went backwards (a cloned authenticator) is refused and recorded. No second step follows, whatever else the account has enrolled. Rate limited per client address with POST /login.",
  request: { body: jsonBody(PasskeyLoginBodySchema) },
  responses: {
    200: jsonContent(TokenPairSchema, "A new session's token pair"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_PASSKEY", "ACCOUNT_DISABLED", "EMAIL_NOT_VERIFIED", "RATE_LIMITED", ...DEPENDENCY_PROBLEMS),
  },
});

export const mfaPasskeyOptions = createRoute({
  security: NO_SECURITY,
  method: "post",
  path: "/login/mfa/passkey/options",
  operationId: "getMfaPasskeyOptions",
  tags,
  summary: "Options for a passkey as the second step of a password login",
  description:
    "For the mfa_token of POST /login (whose mfa_methods include passkey): request options listing the account's passkeys, user verification discouraged (the password was the first factor). The challenge works once, for 5 minutes, for POST /login/mfa with this mfa_token only; asking does not spend the mfa_token. 409 when the account has no passkey.",
  request: { body: jsonBody(MfaPasskeyOptionsBodySchema) },
  responses: {
    200: jsonContent(AuthenticationOptionsSchema, "The request options"),
    ...problemResponses(...BODY_PROBLEMS, "INVALID_MFA_TOKEN", "CONFLICT", "RATE_LIMITED", ...DEPENDENCY_PROBLEMS),
  },
});
