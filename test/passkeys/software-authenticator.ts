/**
 * A software WebAuthn authenticator for tests, on Web Crypto only: ES256 keys, attestation `none`,
 * clientDataJSON, authenticator data and the CBOR attestation object built here byte by byte (WebAuthn
 * Level 3 §6.1, §6.5; CTAP2 canonical CBOR), so the service's verification runs against what a
 * browser and an authenticator would send. It plays both parts: the browser (it writes clientDataJSON
 * with its `origin`) and the authenticator (it signs for `rpId`), and either can be made to lie.
 */
import type { CryptoKey } from "jose";
import { fromBase64Url, randomBytes, toBase64Url } from "../../src/lib/encoding.js";

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor>;

/** Minimal CBOR (RFC 8949) encoder for what attestation needs: integers, byte and text strings, arrays, maps. */
function cbor(value: Cbor): Uint8Array {
  const head = (major: number, length: number): number[] => {
    if (length < 24) return [(major << 5) | length];
    if (length < 0x100) return [(major << 5) | 24, length];
    if (length < 0x10000) return [(major << 5) | 25, length >> 8, length & 0xff];
    return [(major << 5) | 26, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
  };
  if (typeof value === "number") return Uint8Array.from(value >= 0 ? head(0, value) : head(1, -1 - value));
  if (typeof value === "string") {
    const bytes = new TextEncoder().encode(value);
    return concat(Uint8Array.from(head(3, bytes.length)), bytes);
  }
  if (value instanceof Uint8Array) return concat(Uint8Array.from(head(2, value.length)), value);
  if (Array.isArray(value)) return concat(Uint8Array.from(head(4, value.length)), ...value.map(cbor));
  const entries = [...value.entries()].flatMap(([key, item]) => [cbor(key), cbor(item)]);
  return concat(Uint8Array.from(head(5, value.size)), ...entries);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const sha256 = async (data: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
const json = (value: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(value)));
const uint32 = (n: number) => Uint8Array.from([(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);

/** Web Crypto's ECDSA signature is r || s; WebAuthn wants ASN.1 DER (SEQUENCE of two INTEGERs). */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    let body: Uint8Array = bytes.slice(start);
    if (body[0]! & 0x80) body = concat(Uint8Array.of(0), body);
    return concat(Uint8Array.of(0x02, body.length), body);
  };
  const sequence = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(Uint8Array.of(0x30, sequence.length), sequence);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface SoftwareAuthenticatorOptions {
  /** The page's origin, as the browser writes it into clientDataJSON. */
  origin: string;
  /** The RP ID the authenticator signs for (its SHA-256 heads the authenticator data). */
  rpId: string;
  /** Whether it verifies the user (PIN, biometrics): the UV flag. Default true. */
  userVerification?: boolean;
  /** A synced passkey (backup eligible and backed up): the BE and BS flags. Default false. */
  synced?: boolean;
}

/** What may be falsified in one ceremony, to test the refusals. */
export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  type?: string;
  /** Sign over this challenge instead of the options' one. */
  challenge?: string;
  userVerification?: boolean;
  /** Report this counter (without moving the authenticator's own). */
  counter?: number;
}

type KeyPair = { publicKey: CryptoKey; privateKey: CryptoKey };

interface StoredCredential {
  id: Uint8Array;
  keys: KeyPair;
  userHandle: string;
  counter: number;
}

export interface RegistrationOptionsLike {
  challenge: string;
  user: { id: string };
}

export interface AuthenticationOptionsLike {
  challenge: string;
  allowCredentials?: Array<{ id: string }> | undefined;
}

export function createSoftwareAuthenticator(options: SoftwareAuthenticatorOptions, credentials: StoredCredential[] = []) {
  const uv = options.userVerification ?? true;
  const synced = options.synced ?? false;
  const flags = (base: number, overrides: CeremonyOverrides) =>
    base | FLAG_UP | ((overrides.userVerification ?? uv) ? FLAG_UV : 0) | (synced ? FLAG_BE | FLAG_BS : 0);

  return {
    /** The credentials it holds (a clone shares the keys and copies the counters). */
    credentials,

    /** navigator.credentials.create(): a new ES256 credential, answered as RegistrationResponseJSON. */
    async register(creation: RegistrationOptionsLike, overrides: CeremonyOverrides = {}) {
      const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as KeyPair;
      const raw = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
      const coseKey = cbor(
        new Map<Cbor, Cbor>([
          [1, 2], // kty: EC2
          [3, -7], // alg: ES256
          [-1, 1], // crv: P-256
          [-2, raw.slice(1, 33)],
          [-3, raw.slice(33, 65)],
        ]),
      );
      const id = randomBytes(32);
      const counter = overrides.counter ?? 0;
      const authData = concat(
        await sha256(new TextEncoder().encode(overrides.rpId ?? options.rpId)),
        Uint8Array.of(flags(FLAG_AT, overrides)),
        uint32(counter),
        new Uint8Array(16), // AAGUID: none
        Uint8Array.of(id.length >> 8, id.length & 0xff),
        id,
        coseKey,
      );
      const attestationObject = cbor(new Map<Cbor, Cbor>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
      const clientDataJSON = json({ type: overrides.type ?? "webauthn.create", challenge: overrides.challenge ?? creation.challenge, origin: overrides.origin ?? options.origin, crossOrigin: false });
      credentials.push({ id, keys, userHandle: creation.user.id, counter });
      const credentialId = toBase64Url(id);
      return {
        id: credentialId,
        rawId: credentialId,
        type: "public-key" as const,
        response: { clientDataJSON, attestationObject: toBase64Url(attestationObject), transports: ["internal"] },
        authenticatorAttachment: "platform" as const,
        clientExtensionResults: {},
      };
    },

    /** navigator.credentials.get(): an assertion by the allowed (or the last) credential, as AuthenticationResponseJSON. */
    async assert(request: AuthenticationOptionsLike, overrides: CeremonyOverrides = {}) {
      const allowed = request.allowCredentials?.map((descriptor) => descriptor.id);
      const credential = [...credentials].reverse().find((held) => !allowed?.length || allowed.includes(toBase64Url(held.id)));
      if (!credential) throw new Error("the software authenticator holds no allowed credential");
      const counter = overrides.counter ?? ++credential.counter;
      const authData = concat(await sha256(new TextEncoder().encode(overrides.rpId ?? options.rpId)), Uint8Array.of(flags(0, overrides)), uint32(counter));
      const clientDataJSON = json({ type: overrides.type ?? "webauthn.get", challenge: overrides.challenge ?? request.challenge, origin: overrides.origin ?? options.origin, crossOrigin: false });
      const signed = concat(authData, await sha256(fromBase64Url(clientDataJSON)!));
      const signature = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, credential.keys.privateKey, signed as Uint8Array<ArrayBuffer>));
      const credentialId = toBase64Url(credential.id);
      return {
        id: credentialId,
        rawId: credentialId,
        type: "public-key" as const,
        response: { clientDataJSON, authenticatorData: toBase64Url(authData), signature: toBase64Url(derSignature(signature)), userHandle: credential.userHandle },
        authenticatorAttachment: "platform" as const,
        clientExtensionResults: {},
      };
    },

    /** A copy of the authenticator with the same keys and the counters as they are now (what cloning a key gives). */
    clone() {
      return createSoftwareAuthenticator(options, credentials.map((held) => ({ ...held })));
    },
  };
}

export type SoftwareAuthenticator = ReturnType<typeof createSoftwareAuthenticator>;
