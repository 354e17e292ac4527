import { z } from "@hono/zod-openapi";
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { PasskeyRecord } from "../../passkeys/index.js";
import { isWellFormedText, NO_CONTROL_CHARACTERS } from "../../http/openapi.js";
import { ConfirmPasswordSchema, RecoveryCodeSchema, TotpCodeSchema } from "../mfa/mfa.schemas.js";

/**
 * The WebAuthn JSON forms (WebAuthn Level 3 §5.1.8, PublicKeyCredential.toJSON() /
 * parseCreationOptionsFromJSON()), as @simplewebauthn/browser and current browsers write them. The
 * bounds are generous for real authenticators (a credential id is at most 1023 bytes) and keep a
 * hostile body small; everything inside is verified by @simplewebauthn/server.
 */
const base64url = (maxLength: number, description: string) =>
  z
    .string({ error: "must be a string" })
    .min(1, "must not be empty")
    .max(maxLength, "is too long")
    .regex(/^[A-Za-z0-9_-]+$/, "must be base64url without padding")
    .openapi({ description });

const EXAMPLE_CREDENTIAL_ID = "p3Rz3n7oQ0m2y8a1XcB4kA";
const EXAMPLE_CLIENT_DATA = "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiLi4uIiwib3JpZ2luIjoiaHR0cHM6Ly9hcHAuZXhhbXBsZS5jb20ifQ";
const EXAMPLE_CHALLENGE = "sV4u3u8e2kq9xwZ5fPbWm0cR7yT1nL6aJ3hD8gQ2oE4";
const EXAMPLE_PASSKEY_ID = "0193c1d2-8e4f-7a6b-9c0d-1e2f3a4b5c6d";
// The same values as auth.schemas.ts's EXAMPLE (which imports this module, so it cannot be imported here).
const EXAMPLE = {
  email: "ada@example.com",
  name: "Ada Lovelace",
  password: "correct horse battery",
  createdAt: "2026-11-28T13:45:00.000Z",
  lastUsedAt: "2026-11-29T08:10:00.000Z",
  mfaToken: "Xq3v9yT1cK0bW7nE2rL5sJ8hG4fD6aP0uM1oI9zV2xY",
} as const;

const TransportSchema = z.string({ error: "must be a string" }).regex(/^[a-z-]{1,32}$/, "must be a transport name such as internal, hybrid, usb");
const CredentialType = z.literal("public-key", { error: 'must be "public-key"' });
const AttachmentSchema = z.enum(["platform", "cross-platform"], { error: 'must be "platform" or "cross-platform"' }).nullable().optional();
const ExtensionResultsSchema = z
  .record(z.string(), z.unknown())
  .optional()
  .openapi({ description: "getClientExtensionResults(); none are requested, so usually {}" });

/** What both ceremonies' answers begin with: the credential and the client data it signed over. */
const CREDENTIAL_FIELDS = {
  id: base64url(1400, "The credential id"),
  rawId: base64url(1400, "The credential id again (WebAuthn's rawId)"),
  type: CredentialType,
};
const CLIENT_DATA_JSON = base64url(4096, "The client data the authenticator signed over");

export const RegistrationResponseSchema = z
  .object({
    ...CREDENTIAL_FIELDS,
    response: z.object({
      clientDataJSON: CLIENT_DATA_JSON,
      attestationObject: base64url(8192, "The CBOR attestation object (attestation `none` is enough)"),
      authenticatorData: base64url(8192, "The authenticator data, also inside the attestation object").optional(),
      transports: z.array(TransportSchema).max(10, "lists too many transports").optional(),
      publicKeyAlgorithm: z.number({ error: "must be a number" }).int().optional(),
      publicKey: base64url(4096, "The public key as SPKI (informative; the attestation object's is used)").optional(),
    }),
    authenticatorAttachment: AttachmentSchema,
    clientExtensionResults: ExtensionResultsSchema,
  })
  .openapi("PasskeyRegistrationResponse", {
    description: "What navigator.credentials.create() resolved to, as JSON (PublicKeyCredential.toJSON(), or @simplewebauthn/browser's startRegistration).",
    example: {
      id: EXAMPLE_CREDENTIAL_ID,
      rawId: EXAMPLE_CREDENTIAL_ID,
      type: "public-key",
      response: { clientDataJSON: EXAMPLE_CLIENT_DATA, attestationObject: "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjF", transports: ["internal", "hybrid"] },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    },
  });

export const AuthenticationResponseSchema = z
  .object({
    ...CREDENTIAL_FIELDS,
    response: z.object({
      clientDataJSON: CLIENT_DATA_JSON,
      authenticatorData: base64url(8192, "The authenticator data (RP ID hash, flags, signature counter)"),
      signature: base64url(1024, "The signature over authenticatorData and the hash of clientDataJSON"),
      userHandle: base64url(128, "The user handle stored with a discoverable credential").nullable().optional(),
    }),
    authenticatorAttachment: AttachmentSchema,
    clientExtensionResults: ExtensionResultsSchema,
  })
  .openapi("PasskeyAssertion", {
    description: "What navigator.credentials.get() resolved to, as JSON (PublicKeyCredential.toJSON(), or @simplewebauthn/browser's startAuthentication).",
    example: {
      id: EXAMPLE_CREDENTIAL_ID,
      rawId: EXAMPLE_CREDENTIAL_ID,
      type: "public-key",
      response: { clientDataJSON: EXAMPLE_CLIENT_DATA, authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ", signature: "MEUCIQDx0pbd8VhN", userHandle: "AZPBzY5PeGucDR4vOktcbQ" },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    },
  });

export function toRegistrationResponse(body: z.infer<typeof RegistrationResponseSchema>): RegistrationResponseJSON {
  const { authenticatorAttachment, clientExtensionResults, response, ...rest } = body;
  return {
    ...rest,
    response: { ...response, transports: response.transports as AuthenticatorTransportFuture[] | undefined },
    ...(authenticatorAttachment && { authenticatorAttachment }),
    clientExtensionResults: clientExtensionResults ?? {},
  } as RegistrationResponseJSON;
}

export function toAuthenticationResponse(body: z.infer<typeof AuthenticationResponseSchema>): AuthenticationResponseJSON {
  const { authenticatorAttachment, clientExtensionResults, response, ...rest } = body;
  const { userHandle, ...assertion } = response;
  return {
    ...rest,
    response: { ...assertion, ...(typeof userHandle === "string" && { userHandle }) },
    ...(authenticatorAttachment && { authenticatorAttachment }),
    clientExtensionResults: clientExtensionResults ?? {},
  } as AuthenticationResponseJSON;
}

const DescriptorSchema = z.object({ id: z.string(), type: z.literal("public-key"), transports: z.array(z.string()).optional() });

export const RegistrationOptionsSchema = z
  .object({
    rp: z.object({ id: z.string().optional(), name: z.string() }),
    user: z.object({ id: z.string().openapi({ description: "The user handle, base64url" }), name: z.string(), displayName: z.string() }),
    challenge: z.string().openapi({ description: "Single use, valid 5 minutes, for POST /me/passkeys only" }),
    pubKeyCredParams: z.array(z.object({ type: z.literal("public-key"), alg: z.number().int() })),
    timeout: z.number().int().optional(),
    excludeCredentials: z.array(DescriptorSchema).optional().openapi({ description: "The caller's passkeys, so the same authenticator is not registered twice" }),
    authenticatorSelection: z.object({ residentKey: z.string().optional(), requireResidentKey: z.boolean().optional(), userVerification: z.string().optional(), authenticatorAttachment: z.string().optional() }).optional(),
    attestation: z.string().optional(),
  })
  .openapi("PasskeyRegistrationOptions", {
    description: "PublicKeyCredentialCreationOptionsJSON: pass it to PublicKeyCredential.parseCreationOptionsFromJSON() (or @simplewebauthn/browser's startRegistration) and then navigator.credentials.create().",
    example: {
      rp: { id: "example.com", name: "auth-service" },
      user: { id: "AZO35F8cei-cPU5fanuMnQ", name: EXAMPLE.email, displayName: EXAMPLE.name },
      challenge: EXAMPLE_CHALLENGE,
      pubKeyCredParams: [
        { type: "public-key", alg: -7 },
        { type: "public-key", alg: -8 },
        { type: "public-key", alg: -257 },
      ],
      timeout: 300000,
      excludeCredentials: [],
      authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "preferred" },
      attestation: "none",
    },
  });

export const AuthenticationOptionsSchema = z
  .object({
    challenge: z.string().openapi({ description: "Single use, valid 5 minutes, for its own ceremony only" }),
    timeout: z.number().int().optional(),
    rpId: z.string().optional(),
    allowCredentials: z.array(DescriptorSchema).optional().openapi({ description: "Only in the second step of a password login: the account's passkeys" }),
    userVerification: z.string().optional().openapi({ description: "`required` for a passwordless login, `discouraged` for the second step" }),
  })
  .openapi("PasskeyAuthenticationOptions", {
    description: "PublicKeyCredentialRequestOptionsJSON: pass it to PublicKeyCredential.parseRequestOptionsFromJSON() (or @simplewebauthn/browser's startAuthentication) and then navigator.credentials.get().",
    example: { challenge: EXAMPLE_CHALLENGE, timeout: 300000, rpId: "example.com", userVerification: "required" },
  });

export function toRegistrationOptionsBody(options: PublicKeyCredentialCreationOptionsJSON): z.infer<typeof RegistrationOptionsSchema> {
  const { rp, user, challenge, pubKeyCredParams, timeout, excludeCredentials, authenticatorSelection, attestation } = options;
  return { rp, user, challenge, pubKeyCredParams, timeout, excludeCredentials, authenticatorSelection, attestation };
}

export function toAuthenticationOptionsBody(options: PublicKeyCredentialRequestOptionsJSON): z.infer<typeof AuthenticationOptionsSchema> {
  const { challenge, timeout, rpId, allowCredentials, userVerification } = options;
  return { challenge, timeout, rpId, ...(allowCredentials && allowCredentials.length > 0 && { allowCredentials }), userVerification };
}

const PasskeyNameSchema = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(NO_CONTROL_CHARACTERS, "must not contain control characters or unpaired surrogates")
  .refine(isWellFormedText, "must not contain control characters or unpaired surrogates")
  .openapi({ description: "A label the user chooses (\"Laptop\", \"Phone\")", example: "Laptop" });

export const RegisterPasskeyBodySchema = z
  .object({ name: PasskeyNameSchema.optional(), response: RegistrationResponseSchema })
  .openapi("RegisterPasskeyRequest", {
    example: { name: "Laptop", response: { id: EXAMPLE_CREDENTIAL_ID, rawId: EXAMPLE_CREDENTIAL_ID, type: "public-key", response: { clientDataJSON: EXAMPLE_CLIENT_DATA, attestationObject: "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjF" }, clientExtensionResults: {} } },
  });

export const PasskeySchema = z
  .object({
    id: z.uuid(),
    name: z.string().nullable(),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable().openapi({ description: "The last login with it; null if never" }),
  })
  .openapi("Passkey", { example: { id: EXAMPLE_PASSKEY_ID, name: "Laptop", created_at: EXAMPLE.createdAt, last_used_at: null } });

export const PasskeyListSchema = z
  .object({ items: z.array(PasskeySchema) })
  .openapi("PasskeyList", { example: { items: [{ id: EXAMPLE_PASSKEY_ID, name: "Laptop", created_at: EXAMPLE.createdAt, last_used_at: EXAMPLE.lastUsedAt }] } });

export const PasskeyIdParamsSchema = z.object({
  id: z.uuid({ error: "must be a passkey id (a UUID)" }).openapi({ param: { name: "id", in: "path" }, example: EXAMPLE_PASSKEY_ID }),
});

export const RemovePasskeyBodySchema = z
  .object({
    password: ConfirmPasswordSchema,
    code: TotpCodeSchema.optional().openapi({ description: "A current TOTP code; needed (or recovery_code) when TOTP is enabled" }),
    recovery_code: RecoveryCodeSchema.optional().openapi({ description: "An unused recovery code instead of `code`; spent by this request" }),
  })
  .refine((body) => body.code === undefined || body.recovery_code === undefined, { message: "send code or recovery_code, not both", path: ["recovery_code"] })
  .openapi("RemovePasskeyRequest", { example: { password: EXAMPLE.password, code: "123456" } });

export const PasskeyLoginOptionsBodySchema = z
  .object({
    email: z
      .string({ error: "must be a string" })
      .trim()
      .max(254, "must be at most 254 characters")
      .pipe(z.email({ error: "must be a valid email address" }))
      .transform((email) => email.toLowerCase())
      .optional()
      .openapi({ type: "string", format: "email", description: "Binds the login to this account; the answer is the same whether it exists or not" }),
  })
  .openapi("PasskeyLoginOptionsRequest", { example: { email: EXAMPLE.email } });

export const PasskeyLoginBodySchema = z.object({ response: AuthenticationResponseSchema }).openapi("PasskeyLoginRequest", {
  example: {
    response: { id: EXAMPLE_CREDENTIAL_ID, rawId: EXAMPLE_CREDENTIAL_ID, type: "public-key", response: { clientDataJSON: EXAMPLE_CLIENT_DATA, authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ", signature: "MEUCIQDx0pbd8VhN" }, clientExtensionResults: {} },
  },
});

export const MfaPasskeyOptionsBodySchema = z
  .object({ mfa_token: z.string({ error: "must be a string" }).min(1, "must not be empty").max(128, "is too long") })
  .openapi("MfaPasskeyOptionsRequest", { example: { mfa_token: EXAMPLE.mfaToken } });

export function toPasskeyBody(passkey: PasskeyRecord): z.infer<typeof PasskeySchema> {
  return { id: passkey.id, name: passkey.name, created_at: passkey.createdAt.toISOString(), last_used_at: passkey.lastUsedAt?.toISOString() ?? null };
}
