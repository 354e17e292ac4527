import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";

/** `issuer`: auth-service's JWT_ISSUER (its public URL); `audience`: its JWT_AUDIENCE. */
export function createAccessTokenVerifier({ issuer, audience }: { issuer: string; audience: string }) {
  // Fetched on first use, cached, and fetched again when a token names a kid it has not seen (key rotation).
  const keys = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));

  /** The token's claims (sub, client_id, roles, sid, ...), or a thrown jose error: answer 401. */
  return async function verifyAccessToken(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, keys, {
      issuer,
      audience,
      typ: "at+jwt", // RFC 9068 access tokens only: not another JWT signed by the same key
      algorithms: ["EdDSA", "ES256", "RS256", "PS256"], // the asymmetric ones JWT_PRIVATE_KEYS can hold; never HS256 or none
      requiredClaims: ["sub", "client_id", "jti", "iat", "exp"],
      clockTolerance: 5,
    });
    return payload;
  };
}
