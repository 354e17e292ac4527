import { constantTimeEqual } from "../lib/constant-time.js";
import { toBase64Url } from "../lib/encoding.js";

/**
 * PKCE (RFC 7636), S256 only: OAuth 2.1 §4.1.1 requires PKCE of every client, and `plain` would
 * hand the verifier to anyone who sees the authorization request.
 */

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** base64url of a SHA-256 digest: exactly 43 characters, no padding. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export async function s256Challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return toBase64Url(new Uint8Array(digest));
}

/** Whether `verifier` is well formed and hashes to `challenge`. */
export async function verifierMatches(verifier: string, challenge: string): Promise<boolean> {
  if (!VERIFIER.test(verifier)) return false;
  return constantTimeEqual(await s256Challenge(verifier), challenge);
}
