import type { CryptoKey } from "jose";
import { fromBase64Url, toBase64Url, randomBytes } from "../lib/encoding.js";
import type { KeySecret } from "../tokens/jwt.js";

/**
 * Seals the bodies of queued mail, so that the `mail_outbox` table never holds a one-time link in
 * a form that could be presented: a database reader (a backup, a replica, a leaked dump) sees
 * AES-256-GCM ciphertext. The keys come from outside the database: HKDF-SHA256 of each signing
 * key's secret (config or the development key file), domain-separated, so every instance opens
 * what another queued and nothing new has to be configured. The signing key seals; every listed
 * key opens, so a message queued just before a key rotation is still sent, as long as the old key
 * stays listed for MAIL_MAX_AGE (it stays for much longer, to verify tokens).
 *
 * The row id and the field are the additional data: a sealed body cannot be moved to another row
 * (another recipient) or swapped between the text and the HTML part.
 *
 * Hand-written on Web Crypto: no maintained npm package does envelope sealing with key ids in a
 * Web-standard way that is smaller than these lines.
 */
export interface OutboxSealer {
  seal(plain: string, context: SealContext): Promise<string>;
  /** The plain text, or null when no listed key opens it (unknown key, tampered, not sealed). */
  open(sealed: string, context: SealContext): Promise<string | null>;
}

export interface SealContext {
  rowId: string;
  field: "text" | "html";
}

const FORMAT = "v1";
const HKDF_INFO = new TextEncoder().encode("auth-service mail-outbox sealing v1");
const IV_BYTES = 12;

export function createOutboxSealer(secrets: readonly KeySecret[]): OutboxSealer {
  const [first] = secrets;
  if (!first) throw new Error("the mail outbox needs at least one key to seal with");
  const idOf = (kid: string) => toBase64Url(new TextEncoder().encode(kid));
  const sealingId = idOf(first.kid);
  // Derived at first use (Web Crypto is asynchronous; composition is not), once.
  let derived: Promise<Map<string, CryptoKey>> | undefined;
  const keys = () =>
    (derived ??= Promise.all(secrets.map(async ({ kid, material }) => [idOf(kid), await deriveKey(material)] as const)).then(
      (entries) => new Map(entries),
    ));
  const additionalData = ({ rowId, field }: SealContext) => new TextEncoder().encode(`${rowId}\0${field}`);

  return {
    async seal(plain, context) {
      const iv = randomBytes(IV_BYTES);
      const ciphertext = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: additionalData(context) },
        (await keys()).get(sealingId) as CryptoKey,
        new TextEncoder().encode(plain),
      );
      const sealed = new Uint8Array(IV_BYTES + ciphertext.byteLength);
      sealed.set(iv, 0);
      sealed.set(new Uint8Array(ciphertext), IV_BYTES);
      return `${FORMAT}.${sealingId}.${toBase64Url(sealed)}`;
    },

    async open(sealed, context) {
      const [format, keyId, body, ...rest] = sealed.split(".");
      if (format !== FORMAT || keyId === undefined || body === undefined || rest.length > 0) return null;
      const key = (await keys()).get(keyId);
      const bytes = fromBase64Url(body);
      if (!key || !bytes || bytes.length <= IV_BYTES) return null;
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData: additionalData(context) },
          key,
          bytes.subarray(IV_BYTES),
        );
        return new TextDecoder().decode(plain);
      } catch {
        return null;
      }
    },
  };
}

async function deriveKey(material: Uint8Array): Promise<CryptoKey> {
  const root = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: HKDF_INFO },
    root,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}
