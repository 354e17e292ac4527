import { z } from "@hono/zod-openapi";
import type { SecondFactorProof } from "../../mfa/mfa-service.js";

const EXAMPLE_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const EXAMPLE_OTPAUTH_URI = `otpauth://totp/auth-service:ada%40example.com?issuer=auth-service&secret=${EXAMPLE_SECRET}&algorithm=SHA1&digits=6&period=30`;
const EXAMPLE_RECOVERY_CODES = ["7k2m-x9qp-4hcr-b0tz", "3nvd-8wkq-y1gh-c6sp"];

/** The password that confirms a change: any non-empty string (the policy applies only to new ones). */
export const ConfirmPasswordSchema = z.string({ error: "must be a string" }).min(1, "must not be empty").max(1024, "is too long");

/** A TOTP code as an authenticator app shows it. */
export const TotpCodeSchema = z
  .string({ error: "must be a string" })
  .regex(/^\d{6}$/, "must be the 6 digits the authenticator app shows")
  .openapi({ example: "123456" });

export const RecoveryCodeSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(64, "is too long")
  .openapi({ example: "7k2m-x9qp-4hcr-b0tz", description: "One of the recovery codes; case, spaces and hyphens do not matter" });

/**
 * The second factor of a step-up (changing the password, the address or a factor, deleting the
 * account): needed when the account has TOTP enabled, one of the two; ignored otherwise.
 */
export const SECOND_FACTOR_FIELDS = {
  code: TotpCodeSchema.optional().openapi({ description: "A current TOTP code; needed (or recovery_code) when TOTP is enabled" }),
  recovery_code: RecoveryCodeSchema.optional().openapi({ description: "An unused recovery code instead of `code`; spent by this request" }),
};

/** For a body with SECOND_FACTOR_FIELDS: at most one of them. */
type SecondFactorFields = { code?: string | undefined; recovery_code?: string | undefined };
export const atMostOneSecondFactor: [(body: SecondFactorFields) => boolean, { message: string; path: string[] }] = [
  (body) => body.code === undefined || body.recovery_code === undefined,
  { message: "send code or recovery_code, not both", path: ["recovery_code"] },
];

export function toSecondFactorProof(body: SecondFactorFields): SecondFactorProof {
  return { code: body.code, recoveryCode: body.recovery_code };
}

export const MfaStatusSchema = z
  .object({
    totp: z.object({ enabled: z.boolean().openapi({ description: "A confirmed TOTP factor (a pending enrolment is not enabled)" }) }),
    passkeys: z.number().int().openapi({ description: "How many passkeys the account has (GET /me/passkeys lists them)" }),
    recovery_codes_left: z.number().int(),
  })
  .openapi("MfaStatus", { example: { totp: { enabled: true }, passkeys: 0, recovery_codes_left: 9 } });

export const BeginTotpBodySchema = z.object({ password: ConfirmPasswordSchema }).openapi("BeginTotpRequest", { example: { password: "correct horse battery" } });

export const TotpEnrolmentSchema = z
  .object({
    secret: z.string().openapi({ description: "The shared secret, base32, for typing into an authenticator app", example: EXAMPLE_SECRET }),
    otpauth_uri: z.string().openapi({ description: "The otpauth://totp/ URI to show as a QR code", example: EXAMPLE_OTPAUTH_URI }),
  })
  .openapi("TotpEnrolment", { example: { secret: EXAMPLE_SECRET, otpauth_uri: EXAMPLE_OTPAUTH_URI } });

export const ConfirmTotpBodySchema = z.object({ code: TotpCodeSchema }).openapi("ConfirmTotpRequest", { example: { code: "123456" } });

export const PasswordAndCodeBodySchema = z.object({ password: ConfirmPasswordSchema, code: TotpCodeSchema }).openapi("PasswordAndTotpCodeRequest", { example: { password: "correct horse battery", code: "123456" } });

export const RecoveryCodesSchema = z
  .object({ recovery_codes: z.array(z.string()).openapi({ description: "10 single-use codes, shown this once; only their hashes are kept" }) })
  .openapi("RecoveryCodes", { example: { recovery_codes: EXAMPLE_RECOVERY_CODES } });
