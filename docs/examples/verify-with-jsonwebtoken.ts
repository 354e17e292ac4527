import jwt, { type JwtPayload } from "jsonwebtoken";
import jwksRsa from "jwks-rsa";

/**
 * For an auth-service signing with an RSA key (RS256): jsonwebtoken cannot verify EdDSA.
 * `issuer`: auth-service's JWT_ISSUER (its public URL); `audience`: its JWT_AUDIENCE.
 */
export function createAccessTokenVerifier({ issuer, audience }: { issuer: string; audience: string }) {
  const keys = jwksRsa({ jwksUri: `${issuer}/.well-known/jwks.json`, cache: true, rateLimit: true });

  /** The token's claims, or a thrown error: answer 401. */
  return async function verifyAccessToken(token: string): Promise<JwtPayload> {
    const unverified = jwt.decode(token, { complete: true });
    if (!unverified) throw new jwt.JsonWebTokenError("not a JWT");
    const key = await keys.getSigningKey(unverified.header.kid);
    const { header, payload } = jwt.verify(token, key.getPublicKey(), {
      algorithms: ["RS256"],
      issuer,
      audience,
      clockTolerance: 5,
      complete: true,
    });
    // jsonwebtoken does not look at typ; RFC 9068 §4 asks to: an access token, not another JWT of this key.
    if (header.typ?.toLowerCase().replace(/^application\//, "") !== "at+jwt") throw new jwt.JsonWebTokenError("not an access token");
    if (typeof payload === "string" || typeof payload.client_id !== "string") throw new jwt.JsonWebTokenError("not an access token");
    return payload;
  };
}
