import { z } from "@hono/zod-openapi";
import type { TokenPair } from "../../auth/auth-service.js";
import type { User } from "../../users/store.js";
import { exclusiveUnion, isWellFormedText, NO_CONTROL_CHARACTERS } from "../../http/openapi.js";
import { AuthenticationResponseSchema } from "../passkeys/passkeys.schemas.js";

/** Example values of the document, one set, so that the examples of related schemas agree. */
export const EXAMPLE = {
  userId: "0193b7e4-5f1c-7a2b-9c3d-4e5f6a7b8c9d",
  sessionId: "01936b2e-7c1a-7d4e-9f3b-2a1c5e8d9f00",
  email: "ada@example.com",
  password: "correct horse battery",
  name: "Ada Lovelace",
  createdAt: "2026-11-28T13:45:00.000Z",
  updatedAt: "2026-11-28T13:45:00.000Z",
  accessToken:
    "eyJhbGciOiJFZERTQSIsImtpZCI6IjIwMjYtMTEtZWQyNTUxOSIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20iLCJzdWIiOiIwMTkzYjdlNC01ZjFjLTdhMmItOWMzZC00ZTVmNmE3YjhjOWQifQ.c2lnbmF0dXJl",
  refreshToken: "AZNrLnwafU6fOyocXo2fAJs0qTeUtC7AnXZ4A6jo9tOcrIVxKQX34NMlImDfQlD1",
  mfaToken: "Xq3v9yT1cK0bW7nE2rL5sJ8hG4fD6aP0uM1oI9zV2xY",
} as const;

const TOKEN_PAIR_EXAMPLE = { access_token: EXAMPLE.accessToken, token_type: "Bearer", expires_in: 900, refresh_token: EXAMPLE.refreshToken, refresh_expires_in: 1209600 } as const;
const MFA_REQUIRED_EXAMPLE = { mfa_required: true, mfa_token: EXAMPLE.mfaToken, mfa_methods: ["totp", "recovery_code"] } as const;

export const EmailSchema = z
  .string({ error: "must be a string" })
  .trim()
  .max(254, "must be at most 254 characters")
  .pipe(z.email({ error: "must be a valid email address" }))
  .transform((email) => email.toLowerCase())
  .openapi({ type: "string", format: "email", maxLength: 254, example: EXAMPLE.email });

/** NIST SP 800-63B: length rules only. Counted in code points, so emoji count as one. */
export const PasswordSchema = z
  .string({ error: "must be a string" })
  .refine((password) => [...password].length >= 8, "must be at least 8 characters")
  .refine((password) => [...password].length <= 256, "must be at most 256 characters")
  .openapi({ type: "string", format: "password", minLength: 8, maxLength: 256, example: EXAMPLE.password });

export const NameSchema = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .regex(NO_CONTROL_CHARACTERS, "must not contain control characters or unpaired surrogates")
  .refine(isWellFormedText, "must not contain control characters or unpaired surrogates")
  .openapi({ example: EXAMPLE.name });

export const RegisterBodySchema = z
  .object({ email: EmailSchema, password: PasswordSchema, name: NameSchema.optional() })
  .openapi("RegisterRequest", { example: { email: EXAMPLE.email, password: EXAMPLE.password, name: EXAMPLE.name } });

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
  .openapi("LoginRequest", { example: { email: EXAMPLE.email, password: EXAMPLE.password } });

const RefreshTokenSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(512, "must be at most 512 characters")
  .openapi({ description: "The refresh_token of the latest token pair", example: EXAMPLE.refreshToken });

export const RefreshTokenBodySchema = z
  .object({ refresh_token: RefreshTokenSchema })
  .openapi("RefreshRequest", { example: { refresh_token: EXAMPLE.refreshToken } });

/**
 * Not a named component, on purpose: openapi-typescript (defaultNonNullable, its default) makes a
 * property with a `default` required in the types of a component schema, which it cannot tell is
 * only ever a request body; inline in the request body, `scope` stays optional for the client.
 */
export const LogoutBodySchema = z.object({
  refresh_token: RefreshTokenSchema,
  scope: z
    .enum(["session", "others", "all"], { error: 'must be "session", "others" or "all"' })
    .default("session")
    .openapi({
      description: "session: this token's session; others: every other session of its user; all: every session of its user",
      example: "session",
    }),
}).openapi({ example: { refresh_token: EXAMPLE.refreshToken, scope: "session" } });

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
  .openapi("User", {
    example: {
      id: EXAMPLE.userId,
      email: EXAMPLE.email,
      name: EXAMPLE.name,
      roles: ["user"],
      email_verified: false,
      created_at: EXAMPLE.createdAt,
      updated_at: EXAMPLE.updatedAt,
    },
  });

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
  .openapi("TokenPair", {
    example: TOKEN_PAIR_EXAMPLE,
  });

export const MfaRequiredSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({ description: "Single use, valid 5 minutes, ended by 5 wrong codes: send it to POST /login/mfa with a code" }),
    mfa_methods: z
      .array(z.enum(["totp", "recovery_code", "passkey"]))
      .openapi({ description: "What POST /login/mfa accepts for this account: passkey when it has passkeys (options from POST /login/mfa/passkey/options)" }),
  })
  .openapi("MfaRequired", {
    description: "The password is right and the account has a second factor: no tokens yet.",
    example: MFA_REQUIRED_EXAMPLE,
  });

/** The two answers of a right password; `mfa_required` (present only in the second) tells them apart. */
export const LoginResponseSchema = exclusiveUnion("LoginResponse", [TokenPairSchema, MfaRequiredSchema], {
  description: "A TokenPair, or (for an account with a second factor) MfaRequired; they share no required member, so exactly one matches.",
});

export const LOGIN_RESPONSE_EXAMPLES = {
  tokens: { summary: "An account without a second factor: the token pair", value: TOKEN_PAIR_EXAMPLE },
  mfa: { summary: "An account with a second factor: finish with POST /login/mfa", value: MFA_REQUIRED_EXAMPLE },
};

export const LoginMfaBodySchema = z
  .object({
    mfa_token: z.string({ error: "must be a string" }).min(1, "must not be empty").max(128, "is too long"),
    code: z
      .string({ error: "must be a string" })
      .regex(/^\d{6}$/, "must be the 6 digits the authenticator app shows")
      .optional()
      .openapi({ example: "123456" }),
    recovery_code: z.string({ error: "must be a string" }).min(1, "must not be empty").max(64, "is too long").optional(),
    passkey: AuthenticationResponseSchema.optional().openapi({ description: "A passkey's assertion over the options of POST /login/mfa/passkey/options" }),
  })
  .refine((body) => [body.code, body.recovery_code, body.passkey].filter((proof) => proof !== undefined).length === 1, {
    message: "send exactly one of code, recovery_code or passkey",
    path: ["code"],
  })
  .openapi("LoginMfaRequest", {
    description: "The mfa_token of POST /login and one of: a TOTP code, one of the recovery codes, or a passkey's assertion.",
    example: { mfa_token: EXAMPLE.mfaToken, code: "123456" },
  });

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
