import { toBase64Url } from "../lib/encoding.js";

/** How many codes a set holds, and their shape: 16 characters of a 32-letter alphabet, 80 random bits. */
export const RECOVERY_CODE_COUNT = 10;
const CODE_CHARACTERS = 16;
// Crockford's base32 alphabet: no I, L, O or U, so a code read off paper is not mistyped.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** A fresh code, in groups of four for reading ("7k2m-x9qp-..."); 80 bits from crypto.getRandomValues. */
export function createRecoveryCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(CODE_CHARACTERS));
  // 256 is a multiple of 32, so taking each byte mod 32 is unbiased.
  const characters = [...bytes].map((byte) => ALPHABET[byte % ALPHABET.length]).join("");
  return characters.match(/.{4}/g)!.join("-");
}

/** What the user typed, as it was issued: case, spaces and hyphens do not matter. */
export function normaliseRecoveryCode(input: string): string | null {
  const characters = input.toLowerCase().replace(/[\s-]/g, "");
  if (characters.length !== CODE_CHARACTERS || ![...characters].every((c) => ALPHABET.includes(c))) return null;
  return characters;
}

/**
 * What the store keeps: SHA-256 of the normalised code, salted with the user id. A fast hash is
 * enough here, unlike for passwords: a code carries 80 random bits, so even a dump of the hashes
 * leaves 2^80 guesses per code (beyond any offline search), whereas Argon2 exists to slow the
 * search of the small space people choose passwords from. The user id keeps one table of guesses
 * from serving every user.
 */
export async function hashRecoveryCode(userId: string, normalisedCode: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`auth-service recovery-code\0${userId}\0${normalisedCode}`));
  return toBase64Url(new Uint8Array(digest));
}
