import { constantTimeEqual } from "../../lib/constant-time.js";
import { randomBytes, toBase64Url, toHex } from "../../lib/encoding.js";

/**
 * Client secrets: 256 bits from the Web Crypto random source, base64url, shown once. Only their
 * SHA-256 (hex) is stored: with 256 random bits there is no dictionary to attack, so a fast hash is
 * enough (a slow one like Argon2 would only make the token endpoint slow), unlike passwords.
 */
const SECRET_BYTES = 32;

export function generateClientSecret(): string {
  return toBase64Url(randomBytes(SECRET_BYTES));
}

export async function hashClientSecret(secret: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret))));
}

/**
 * Whether `presented` hashes to `storedHash`, in time that depends on neither: both sides are
 * fixed-length hex digests compared without an early exit. `storedHash` null (unknown client, or
 * none stored) is compared against a dummy so the work is the same, and answers false.
 */
export async function clientSecretMatches(presented: string, storedHash: string | null): Promise<boolean> {
  const presentedHash = await hashClientSecret(presented);
  // Stryker disable next-line StringLiteral: an empty dummy fails the comparison too (at the length check); the zeros keep the work the same.
  const expected = storedHash ?? "0".repeat(presentedHash.length);
  // Stryker disable next-line ConditionalExpression: no secret hashes to all zeros, so without a stored hash the comparison is already false; kept as the stated rule.
  return constantTimeEqual(expected, presentedHash) && storedHash !== null;
}
