import { Secret, TOTP } from "otpauth";

/**
 * RFC 6238 as authenticator apps expect it (Google Authenticator and its like ignore any other
 * parameter): HMAC-SHA-1, 6 digits, 30-second steps, a 160-bit secret (RFC 4226 §4 recommends
 * 160), and one step of skew either way for clocks that drift and codes typed slowly.
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW_STEPS = 1;
const SECRET_BYTES = 20;

export function generateTotpSecret(): Uint8Array {
  return new Uint8Array(new Secret({ size: SECRET_BYTES }).bytes);
}

function totpOf(secret: Uint8Array, label = "", issuer = ""): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: "SHA1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: new Secret({ buffer: secret.slice().buffer }),
  });
}

/** The secret as authenticator apps take it typed in: base32, no padding. */
export function totpSecretBase32(secret: Uint8Array): string {
  return new Secret({ buffer: secret.slice().buffer }).base32;
}

/** The `otpauth://totp/...` URI a QR code carries (the Key Uri Format of authenticator apps). */
export function totpUri(secret: Uint8Array, issuer: string, accountName: string): string {
  return totpOf(secret, accountName, issuer).toString();
}

/**
 * The time step whose code `code` is, within the window around `now`, or null. The caller still
 * has to accept the step once (MfaStore.acceptTotpStep): this says only that the code is right.
 */
export function matchTotpStep(secret: Uint8Array, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = totpOf(secret);
  const timestamp = now.getTime();
  const delta = totp.validate({ token: code, timestamp, window: TOTP_WINDOW_STEPS });
  if (delta === null) return null;
  return totp.counter({ timestamp }) + delta;
}
