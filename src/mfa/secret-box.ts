import { fromBase64Url, toBase64Url } from "../lib/encoding.js";

/**
 * TOTP secrets at rest: AES-256-GCM (Web Crypto) under MFA_ENCRYPTION_KEY, a fresh 96-bit nonce per
 * seal, the user id as additional data so that a sealed secret copied onto another user's row does
 * not open. Stored as "v1.<nonce>.<ciphertext+tag>" (base64url); the version leaves room for a key
 * rotation. A database dump without the key yields nothing usable.
 */
export interface SecretBox {
  seal(plaintext: Uint8Array, userId: string): Promise<string>;
  /** The plaintext, or null when the value was not sealed by this key for this user. */
  open(sealed: string, userId: string): Promise<Uint8Array | null>;
}

export const MFA_KEY_BYTES = 32;
const NONCE_BYTES = 12;

const additionalData = (userId: string) => new TextEncoder().encode(`auth-service mfa-totp\0${userId}`);

/** Synchronous, so the composition root stays so: the key is imported once, on first use. */
export function createSecretBox(keyBytes: Uint8Array): SecretBox {
  if (keyBytes.length !== MFA_KEY_BYTES) throw new Error(`the MFA encryption key must be ${MFA_KEY_BYTES} bytes`);
  const raw = keyBytes.slice();
  let imported: ReturnType<typeof importKey> | undefined;
  const cryptoKey = () => (imported ??= importKey(raw));
  return {
    async seal(plaintext, userId) {
      const key = await cryptoKey();
      const iv = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
      const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData(userId) }, key, plaintext as Uint8Array<ArrayBuffer>);
      return `v1.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
    },
    async open(sealed, userId) {
      const [version, ivText, ciphertextText] = sealed.split(".");
      const iv = ivText ? fromBase64Url(ivText) : null;
      const ciphertext = ciphertextText ? fromBase64Url(ciphertextText) : null;
      if (version !== "v1" || !iv || !ciphertext) return null;
      const key = await cryptoKey();
      try {
        const plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv: iv as Uint8Array<ArrayBuffer>, additionalData: additionalData(userId) }, key, ciphertext as Uint8Array<ArrayBuffer>);
        return new Uint8Array(plaintext);
      } catch {
        return null;
      }
    },
  };
}

/** A fresh key (the development key, and the tests'). */
export function generateMfaEncryptionKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(MFA_KEY_BYTES));
}

function importKey(raw: Uint8Array<ArrayBuffer>) {
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}
