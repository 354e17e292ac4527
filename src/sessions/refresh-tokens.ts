import type { CryptoKey } from "jose";
import { bytesToUuid, fromBase64Url, randomBytes, toBase64Url, uuidToBytes } from "../lib/encoding.js";

/**
 * Refresh tokens are opaque to clients: base64url(session id (16 bytes) || secret (32 bytes)).
 * The session id lets the store find the session in one lookup; the 256-bit secret from the Web
 * Crypto random source is what proves possession. Stores keep only SHA-256 of the whole token: with
 * 256 bits of entropy a fast hash is enough (no dictionary to attack), unlike passwords.
 */
const SESSION_ID_BYTES = 16;
const SECRET_BYTES = 32;
const TOKEN_LENGTH = Math.ceil(((SESSION_ID_BYTES + SECRET_BYTES) * 4) / 3);

export function createRefreshToken(sessionId: string): string {
  const bytes = new Uint8Array(SESSION_ID_BYTES + SECRET_BYTES);
  bytes.set(uuidToBytes(sessionId), 0);
  bytes.set(randomBytes(SECRET_BYTES), SESSION_ID_BYTES);
  return toBase64Url(bytes);
}

/** The session id a well-formed token names, or null for anything else. */
export function sessionIdOfRefreshToken(token: string): string | null {
  if (token.length !== TOKEN_LENGTH) return null;
  const bytes = fromBase64Url(token);
  if (!bytes || bytes.length !== SESSION_ID_BYTES + SECRET_BYTES) return null;
  return bytesToUuid(bytes.subarray(0, SESSION_ID_BYTES));
}

export async function hashRefreshToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return toBase64Url(new Uint8Array(digest));
}

/**
 * The grace window hands a retried refresh the same successor token. The store must not hold that
 * token in a usable form, so it is sealed with AES-GCM under a key derived (HKDF) from the token
 * being rotated out, which the store knows only as a hash: only the client presenting that very
 * token can open it again.
 */
async function sealingKey(previousToken: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(previousToken), "HKDF", false, [
    "deriveKey",
  ]);
  return crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(0),
      info: new TextEncoder().encode("auth-service refresh successor v1"),
    },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

export async function sealSuccessor(previousToken: string, successor: string): Promise<string> {
  const iv = randomBytes(12);
  const key = await sealingKey(previousToken);
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(successor));
  const sealed = new Uint8Array(iv.length + ciphertext.byteLength);
  sealed.set(iv, 0);
  sealed.set(new Uint8Array(ciphertext), iv.length);
  return toBase64Url(sealed);
}

/** The successor, or null if `sealed` was not made from `previousToken`. */
export async function openSuccessor(previousToken: string, sealed: string): Promise<string | null> {
  const bytes = fromBase64Url(sealed);
  if (!bytes || bytes.length <= 12) return null;
  try {
    const key = await sealingKey(previousToken);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12) }, key, bytes.subarray(12));
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
