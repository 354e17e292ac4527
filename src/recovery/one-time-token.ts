import { fromBase64Url, randomBytes, toBase64Url } from "../lib/encoding.js";

/** 256 bits from the Web Crypto source (crypto.getRandomValues): far beyond guessing, even unthrottled. */
const TOKEN_BYTES = 32;

/** A fresh one-time token: 43 characters of base64url, safe in a URL query as it is. */
export function createOneTimeToken(): string {
  return toBase64Url(randomBytes(TOKEN_BYTES));
}

/** Whether `token` has the shape of one of ours; anything else is refused before any lookup. */
export function isOneTimeTokenShape(token: string): boolean {
  return token.length === 43 && fromBase64Url(token)?.length === TOKEN_BYTES;
}

/**
 * What the store keeps: SHA-256 of the token, base64url. A plain hash is enough (no salt, no
 * Argon2): the token is 256 random bits, so a dump of the hashes cannot be turned back into a token.
 */
export async function hashOneTimeToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return toBase64Url(new Uint8Array(digest));
}
