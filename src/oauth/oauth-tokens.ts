import { compactVerify, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { toBase64Url } from "../lib/encoding.js";
import type { SigningKeys } from "../tokens/jwt.js";
import type { ScopedClaims } from "./userinfo-claims.js";

/**
 * The tokens the OAuth provider signs: access tokens in the service's one JWT profile (RFC 9068,
 * the same one src/tokens/jwt.ts signs for /login, so requireAuth accepts an OAuth access token
 * for this service's own audience), ID tokens (OIDC Core §2), and their verification for
 * introspection, userinfo and `id_token_hint`. Signed with the configured keys; the first key signs.
 */
export interface OAuthTokenSigner {
  readonly accessTokenTtlSeconds: number;
  readonly idTokenTtlSeconds: number;
  /** The JWS algorithm of every token it signs (discovery's *_signing_alg_values_supported). */
  readonly algorithm: string;
  signAccessToken(claims: AccessTokenInput, now: Date): Promise<string>;
  signIdToken(claims: IdTokenInput, now: Date): Promise<string>;
  /** An access token's claims if this service signed it and it is live at `now` (any audience), else null. */
  verifyAccessToken(token: string, now: Date): Promise<JWTPayload | null>;
  /** An ID token's claims if this service signed it, expired or not (RP-initiated logout accepts expired hints), else null. */
  verifyIdTokenHint(token: string): Promise<JWTPayload | null>;
}

export interface AccessTokenInput {
  /** The user, or the client itself for client_credentials. */
  subject: string;
  clientId: string;
  scopes: string[];
  audience: string;
  /** The grant's session (absent for machine tokens, which no session backs). */
  sessionId?: string;
  roles?: string[];
  amr?: string[];
  authTime?: Date;
}

export interface IdTokenInput {
  subject: string;
  clientId: string;
  nonce: string | null;
  authTime: Date;
  amr: string[];
  /** The browser session the user signed in with: what RP-initiated logout ends. */
  sessionId: string | null;
  accessToken: string;
  /** Claims of the granted scopes (name, email, ...). */
  claims: ScopedClaims;
}

const ACCESS_TOKEN_TYP = "at+jwt";
const FORBIDDEN_HEADERS = ["jku", "x5u", "jwk", "x5c"] as const;

/**
 * OIDC Core §3.1.3.6: the left half of the hash of the access token, with the hash the JWS
 * algorithm uses: SHA-256 for RS256, PS256, ES256; SHA-512 for EdDSA over Ed25519 (the
 * convention of the OpenID Foundation's conformance suite and of panva's libraries).
 */
export async function accessTokenHash(accessToken: string, algorithm: string): Promise<string> {
  const hash = algorithm === "EdDSA" ? "SHA-512" : algorithm.endsWith("384") ? "SHA-384" : algorithm.endsWith("512") ? "SHA-512" : "SHA-256";
  const digest = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(accessToken)));
  return toBase64Url(digest.subarray(0, digest.length / 2));
}

/** RFC 8176 methods -> an `acr`: "mfa" in the methods means a second factor (or a passkey with user verification). */
export function acrOf(amr: readonly string[]): string {
  return amr.includes("mfa") ? "urn:auth-service:acr:mfa" : "urn:auth-service:acr:single-factor";
}

export const ACR_VALUES = ["urn:auth-service:acr:single-factor", "urn:auth-service:acr:mfa"];

export function createOAuthTokenSigner(options: { keys: SigningKeys; issuer: string; accessTokenTtlSeconds: number; idTokenTtlSeconds: number }): OAuthTokenSigner {
  const { keys, issuer, accessTokenTtlSeconds, idTokenTtlSeconds } = options;
  const { signing } = keys;
  const header = { alg: signing.alg, kid: signing.kid };
  const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

  function keyFor(token: string) {
    const protectedHeader = decodeProtectedHeader(token);
    if (FORBIDDEN_HEADERS.some((name) => name in protectedHeader)) return undefined;
    return protectedHeader.kid === undefined ? undefined : keys.verification.get(protectedHeader.kid);
  }

  return {
    accessTokenTtlSeconds,
    idTokenTtlSeconds,
    algorithm: signing.alg,

    async signAccessToken({ subject, clientId, scopes, audience, sessionId, roles, amr, authTime }, now) {
      const issuedAt = seconds(now);
      return new SignJWT({
        client_id: clientId,
        scope: scopes.join(" "),
        ...(sessionId !== undefined && { sid: sessionId, roles: roles ?? [], amr: amr ?? ["pwd"], auth_time: seconds(authTime ?? now) }),
      })
        .setProtectedHeader({ ...header, typ: ACCESS_TOKEN_TYP })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + accessTokenTtlSeconds)
        .setJti(crypto.randomUUID())
        .sign(signing.key);
    },

    async signIdToken({ subject, clientId, nonce, authTime, amr, sessionId, accessToken, claims }, now) {
      const issuedAt = seconds(now);
      return new SignJWT({
        ...claims,
        auth_time: seconds(authTime),
        amr,
        acr: acrOf(amr),
        at_hash: await accessTokenHash(accessToken, signing.alg),
        ...(nonce !== null && { nonce }),
        ...(sessionId !== null && { sid: sessionId }),
      })
        .setProtectedHeader({ ...header, typ: "JWT" })
        .setIssuer(issuer)
        .setAudience(clientId)
        .setSubject(subject)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + idTokenTtlSeconds)
        .sign(signing.key);
    },

    async verifyAccessToken(token, now) {
      try {
        const key = keyFor(token);
        if (!key) return null;
        const { payload } = await jwtVerify(token, key.key, {
          algorithms: [key.alg],
          issuer,
          typ: ACCESS_TOKEN_TYP,
          currentDate: now,
          requiredClaims: ["sub", "client_id", "jti", "iat", "exp"],
        });
        return payload;
      } catch {
        return null;
      }
    },

    async verifyIdTokenHint(token) {
      try {
        const key = keyFor(token);
        if (!key) return null;
        // Signature and issuer only: OIDC RP-Initiated Logout §2 accepts an expired ID token as a hint.
        const { payload } = await compactVerify(token, key.key, { algorithms: [key.alg] });
        const claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
        return claims.iss === issuer && typeof claims.sub === "string" ? claims : null;
      } catch {
        return null;
      }
    },
  };
}
