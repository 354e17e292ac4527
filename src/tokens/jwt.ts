import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type ProtectedHeaderParameters,
} from "jose";
import { LRUCache } from "lru-cache";
import type { Config, SigningConfig } from "../config.js";
import { fromBase64Url, toBase64Url } from "../lib/encoding.js";

export type SigningAlgorithm = "HS256" | "EdDSA" | "ES256" | "RS256" | "PS256";

/**
 * A private JWK as configured in JWT_PRIVATE_KEYS (Ed25519, P-256 or RSA, with a kid). `alg` is
 * the one algorithm the key signs and verifies with (config.ts pins it from the key type when the
 * JWK does not name it).
 */
export type PrivateSigningJwk = { kid: string; d: string; [extra: string]: unknown } & (
  | { kty: "OKP"; crv: "Ed25519"; x: string; alg?: "EdDSA" }
  | { kty: "EC"; crv: "P-256"; x: string; y: string; alg?: "ES256" }
  | { kty: "RSA"; n: string; e: string; p: string; q: string; dp: string; dq: string; qi: string; alg?: "RS256" | "PS256" }
);

/** The one algorithm a key is used with: its own `alg`, or the one its type implies. */
function algorithmOf(jwk: PrivateSigningJwk): Exclude<SigningAlgorithm, "HS256"> {
  switch (jwk.kty) {
    case "OKP":
      return "EdDSA";
    case "EC":
      return "ES256";
    case "RSA":
      return jwk.alg ?? "RS256";
  }
}

/** The public half of a private JWK: only the members that describe the public key, plus kid, alg, use. */
function publicJwkOf(jwk: PrivateSigningJwk, alg: SigningAlgorithm): JWK {
  const common = { kid: jwk.kid, alg, use: "sig" };
  switch (jwk.kty) {
    case "OKP":
      return { kty: "OKP", crv: jwk.crv, x: jwk.x, ...common };
    case "EC":
      return { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y, ...common };
    case "RSA":
      return { kty: "RSA", n: jwk.n, e: jwk.e, ...common };
  }
}

interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
}

/**
 * Keys are imported once, at start: a bad key fails the start rather than the first login, and jose
 * gets `CryptoKey`s (raw HS256 bytes are re-imported on every call, 1.2-1.6x slower, measured with jose 6 on Node 20).
 */
export interface SigningKeys {
  signing: VerificationKey;
  verification: ReadonlyMap<string, VerificationKey>;
  /** The public halves, for /.well-known/jwks.json; empty for HS256. */
  publicJwks: JWK[];
  /**
   * Each key's secret material (the HS256 secret, a private JWK's `d`), signing key first: only
   * ever the input of HKDF for keys of other purposes that every instance must share and the
   * database must not hold (the mail outbox's sealing, src/mail/outbox-sealing.ts). Never logged,
   * never served.
   */
  secrets: readonly KeySecret[];
}

export interface KeySecret {
  kid: string;
  material: Uint8Array;
}

export async function createHmacSigningKeys(secret: string): Promise<SigningKeys> {
  const raw = new TextEncoder().encode(secret);
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  // A stable kid that reveals nothing usable about the secret: a truncated hash of it, domain-separated.
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`auth-service kid\0${secret}`));
  const kid = `hs256-${toBase64Url(new Uint8Array(digest)).slice(0, 16)}`;
  const signing: VerificationKey = { kid, alg: "HS256", key };
  return { signing, verification: new Map([[kid, signing]]), publicJwks: [], secrets: [{ kid, material: raw }] };
}

/** The first key signs; all of them verify (rotation: add the new key first, drop the old one later). */
export async function createAsymmetricSigningKeys(privateJwks: readonly PrivateSigningJwk[]): Promise<SigningKeys> {
  const keys: VerificationKey[] = [];
  const publicJwks: JWK[] = [];
  let signingKey: CryptoKey | undefined;
  for (const jwk of privateJwks) {
    const alg = algorithmOf(jwk);
    const publicJwk = publicJwkOf(jwk, alg);
    const verifyKey = (await importJWK(publicJwk, alg)) as CryptoKey;
    signingKey ??= (await importJWK({ ...(jwk as JWK), alg }, alg)) as CryptoKey;
    keys.push({ kid: jwk.kid, alg, key: verifyKey });
    publicJwks.push(publicJwk);
  }
  const first = keys[0];
  if (!first || !signingKey) throw new Error("at least one signing key is required");
  return {
    signing: { ...first, key: signingKey },
    verification: new Map(keys.map((key) => [key.kid, key])),
    publicJwks,
    secrets: privateJwks.map((jwk) => ({ kid: jwk.kid, material: fromBase64Url(jwk.d) ?? new TextEncoder().encode(jwk.d) })),
  };
}

/**
 * The keys a signing configuration names. `developmentKey` supplies the key when none is configured
 * (the entrypoints keep one under DATA_DIR); without it that case is an error.
 */
export async function createSigningKeys(
  signing: SigningConfig,
  developmentKey?: () => Promise<PrivateSigningJwk>,
): Promise<SigningKeys> {
  switch (signing.kind) {
    case "hmac":
      return createHmacSigningKeys(signing.secret);
    case "asymmetric":
      return createAsymmetricSigningKeys(signing.privateJwks as PrivateSigningJwk[]);
    case "development-key":
      if (!developmentKey) throw new Error("no signing key configured: set JWT_SECRET or JWT_PRIVATE_KEYS");
      return createAsymmetricSigningKeys([await developmentKey()]);
  }
}

/** A fresh Ed25519 private JWK with its RFC 7638 thumbprint as kid (the development key). */
export async function generateSigningJwk(): Promise<PrivateSigningJwk> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...(jwk as PrivateSigningJwk), kid };
}

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  jti: string;
  roles: string[];
  iat: number;
  exp: number;
  /** RFC 8176 authentication methods of the session's login (absent on tokens issued before it existed). */
  amr?: string[];
  /** When the user authenticated (OIDC Core §2), seconds. */
  auth_time?: number;
}

export interface AccessTokenOptions {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  /** The `client_id` claim (RFC 9068 §2.2): the client the token was issued to. */
  clientId: string;
  ttlSeconds: number;
  clockToleranceSeconds: number;
  /**
   * How many verified tokens to remember (0 turns the cache off). A client sends the same access
   * token for its whole lifetime, so a hit skips the signature check; expiry is still checked on
   * every call and revocation is not this cache's business (requireAuth checks the session).
   */
  verifiedTokenCacheSize?: number;
}

export interface AccessTokens {
  readonly ttlSeconds: number;
  /** `amr` absent: ["pwd"]; `authTime` absent: `now`. */
  sign(subject: { userId: string; sessionId: string; roles: string[]; amr?: string[]; authTime?: Date }, now: Date): Promise<string>;
  /** The verified claims, or null for any token this service did not issue or no longer accepts. */
  verify(token: string, now: Date): Promise<AccessTokenClaims | null>;
  jwks(): { keys: JWK[] };
}

/** RFC 9068's media type for JWT access tokens; also what tells them apart from any other JWT. */
const ACCESS_TOKEN_TYP = "at+jwt";
/** Header parameters that point at keys elsewhere (RFC 8725 §3.10): never followed, always refused. */
const FORBIDDEN_HEADERS = ["jku", "x5u", "jwk", "x5c"] as const;

/** Access tokens with `keys` and the issuer, audience, lifetime and tolerance that `config` names. */
export function createAccessTokensFromConfig(
  config: Pick<Config, "jwt" | "tokens">,
  keys: SigningKeys,
  options: Pick<AccessTokenOptions, "verifiedTokenCacheSize"> = {},
): AccessTokens {
  return createAccessTokens({
    keys,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    clientId: config.jwt.clientId,
    ttlSeconds: config.tokens.accessTokenTtlSeconds,
    clockToleranceSeconds: config.jwt.clockToleranceSeconds,
    ...options,
  });
}

const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const { keys, issuer, audience, clientId, ttlSeconds, clockToleranceSeconds } = options;
  const cacheSize = options.verifiedTokenCacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE;
  // Only tokens that passed full verification go in, keyed by the whole compact token, so a cached
  // entry can only ever be returned for exactly the bytes that were verified.
  const verified = cacheSize > 0 ? new LRUCache<string, AccessTokenClaims>({ max: cacheSize }) : undefined;

  /**
   * Not expired, and not issued in the future (jose checks only `exp`; a token from the future means
   * a clock gone wrong), both within the tolerance. Applied to fresh and cached tokens alike.
   */
  function withinLifetime(claims: AccessTokenClaims, now: Date): boolean {
    const seconds = Math.floor(now.getTime() / 1000);
    return claims.exp > seconds - clockToleranceSeconds && claims.iat <= seconds + clockToleranceSeconds;
  }

  /**
   * The key a token's header names, or undefined. Header parameters that point at keys elsewhere
   * are refused outright; the algorithm is not trusted here: verify() pins it to the key's own.
   */
  function keyFor(header: ProtectedHeaderParameters): VerificationKey | undefined {
    if (FORBIDDEN_HEADERS.some((name) => name in header)) return undefined;
    return header.kid === undefined ? undefined : keys.verification.get(header.kid);
  }

  return {
    ttlSeconds,
    async sign({ userId, sessionId, roles, amr = ["pwd"], authTime }, now) {
      const issuedAt = Math.floor(now.getTime() / 1000);
      // RFC 9068 §2.2's claims: iss, exp, aud, sub, client_id, iat, jti (strict verifiers demand client_id);
      // amr (RFC 8176) and auth_time (RFC 9068 §2.2.1) tell a resource server how and when the user signed in.
      return new SignJWT({ client_id: clientId, sid: sessionId, roles, amr, auth_time: Math.floor((authTime ?? now).getTime() / 1000) })
        .setProtectedHeader({ alg: keys.signing.alg, kid: keys.signing.kid, typ: ACCESS_TOKEN_TYP })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(userId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .setJti(crypto.randomUUID())
        .sign(keys.signing.key);
    },
    async verify(token, now) {
      const cached = verified?.get(token);
      if (cached) return withinLifetime(cached, now) ? cached : null;
      try {
        const key = keyFor(decodeProtectedHeader(token));
        if (!key) return null;
        // The one algorithm pin: each key verifies only its own algorithm, so a token can never pick
        // how its signature is checked (not even a sibling name of the same key type, such as
        // RFC 9864's "Ed25519" for an EdDSA key, nor another key's algorithm).
        const { payload } = await jwtVerify(token, key.key, {
          algorithms: [key.alg],
          issuer,
          audience,
          typ: ACCESS_TOKEN_TYP,
          clockTolerance: clockToleranceSeconds,
          currentDate: now,
          requiredClaims: ["sub", "sid", "jti", "iat", "exp"],
        });
        const { sub, sid, jti, roles, iat, exp, amr, auth_time } = payload;
        if (typeof sid !== "string" || typeof jti !== "string" || typeof sub !== "string") return null;
        if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string")) return null;
        if (typeof iat !== "number" || typeof exp !== "number") return null;
        const claims: AccessTokenClaims = {
          sub,
          sid,
          jti,
          roles,
          iat,
          exp,
          ...(Array.isArray(amr) && amr.every((method) => typeof method === "string") && { amr: amr as string[] }),
          ...(typeof auth_time === "number" && { auth_time }),
        };
        if (!withinLifetime(claims, now)) return null;
        verified?.set(token, claims);
        return claims;
      } catch {
        return null;
      }
    },
    jwks() {
      return { keys: keys.publicJwks };
    },
  };
}
