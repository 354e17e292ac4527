import { z } from "@hono/zod-openapi";
import type { TokenPair } from "../../auth/auth-service.js";
import type { User } from "../../users/store.js";
import { NO_CONTROL_CHARACTERS } from "../../http/openapi.js";

export const EmailSchema = z
  .string({ error: "must be a string" })
  .trim()
  .max(254, "must be at most 254 characters")
  .pipe(z.email({ error: "must be a valid email address" }))
  .transform((email) => email.toLowerCase())
  .openapi({ type: "string", format: "email", maxLength: 254, example: "ada@example.com" });

/** NIST SP 800-63B: length rules only. Counted in code points, so emoji count as one. */
export const PasswordSchema = z
  .string({ error: "must be a string" })
  .refine((password) => [...password].length >= 8, "must be at least 8 characters")
  .refine((password) => [...password].length <= 256, "must be at most 256 characters")
  .openapi({ type: "string", format: "password", minLength: 8, maxLength: 256, example: "correct horse battery" });

export const NameSchema = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .regex(NO_CONTROL_CHARACTERS, "must not contain control characters or unpaired surrogates")
  .openapi({ example: "Ada Lovelace" });

export const RegisterBodySchema = z
  .object({ email: EmailSchema, password: PasswordSchema, name: NameSchema.optional() })
  .openapi("RegisterRequest");

export const LoginBodySchema = z
  .object({
    email: EmailSchema,
    // Any string up to the maximum: a login must not reveal the password rules of old accounts.
    password: z
      .string({ error: "must be a string" })
      .min(1, "must not be empty")
      .refine((password) => [...password].length <= 256, "must be at most 256 characters")
      .openapi({ type: "string", format: "password" }),
  })
  .openapi("LoginRequest");

export const RefreshTokenBodySchema = z
  .object({
    refresh_token: z
      .string({ error: "must be a string" })
      .min(1, "must not be empty")
      .max(512, "must be at most 512 characters"),
  })
  .openapi("RefreshRequest");

export const LogoutBodySchema = RefreshTokenBodySchema.extend({
  scope: z
    .enum(["session", "others", "all"], { error: 'must be "session", "others" or "all"' })
    .default("session")
    .openapi({
      description: "session: this token's session; others: every other session of its user; all: every session of its user",
    }),
}).openapi("LogoutRequest");

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.email(),
    name: z.string().nullable(),
    roles: z.array(z.string()),
    email_verified: z.boolean().openapi({ description: "Whether the user proved the address (POST /email/verify)" }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("User");

export const TokenPairSchema = z
  .object({
    access_token: z.string().openapi({ description: "JWT (RFC 9068, typ at+jwt)" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "Seconds until the access token expires" }),
    refresh_token: z.string().openapi({ description: "Opaque; single use: each refresh returns a new one" }),
    refresh_expires_in: z
      .number()
      .int()
      .openapi({ description: "Seconds until the refresh token expires unless used (idle or absolute limit)" }),
  })
  .openapi("TokenPair");

export const MfaRequiredSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({ description: "Single use, valid 5 minutes, ended by 5 wrong codes: send it to POST /login/mfa with a code" }),
    mfa_methods: z.array(z.enum(["totp", "recovery_code"])).openapi({ description: "What POST /login/mfa accepts for this account" }),
  })
  .openapi("MfaRequired", { description: "The password is right and the account has a second factor: no tokens yet." });

/** The two answers of a right password; `mfa_required` (present only in the second) tells them apart. */
export const LoginResponseSchema = z
  .union([TokenPairSchema, MfaRequiredSchema])
  .openapi("LoginResponse", {
    description: "A TokenPair, or (for an account with a second factor) MfaRequired; they share no required member, so exactly one matches.",
  });

export const LoginMfaBodySchema = z
  .object({
    mfa_token: z.string({ error: "must be a string" }).min(1, "must not be empty").max(128, "is too long"),
    code: z
      .string({ error: "must be a string" })
      .regex(/^\d{6}$/, "must be the 6 digits the authenticator app shows")
      .optional()
      .openapi({ example: "123456" }),
    recovery_code: z.string({ error: "must be a string" }).min(1, "must not be empty").max(64, "is too long").optional(),
  })
  .refine((body) => (body.code === undefined) !== (body.recovery_code === undefined), { message: "send either code or recovery_code", path: ["code"] })
  .openapi("LoginMfaRequest", { description: "The mfa_token of POST /login and either a TOTP code or one of the recovery codes." });

export function toUserBody(user: User): z.infer<typeof UserSchema> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    roles: user.roles,
    email_verified: user.emailVerified,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export function toTokenPairBody(pair: TokenPair): z.infer<typeof TokenPairSchema> {
  return {
    access_token: pair.accessToken,
    token_type: pair.tokenType,
    expires_in: pair.expiresIn,
    refresh_token: pair.refreshToken,
    refresh_expires_in: pair.refreshExpiresIn,
  };
}
