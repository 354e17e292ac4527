import express, { type ErrorRequestHandler } from "express";
import { auth } from "express-oauth2-jwt-bearer";

/**
 * `issuer`: auth-service's JWT_ISSUER (its public URL); `audience`: its JWT_AUDIENCE;
 * `tokenSigningAlg`: the alg of the first key in JWT_PRIVATE_KEYS (EdDSA for an Ed25519 key).
 */
export function createApi({ issuer, audience, tokenSigningAlg }: { issuer: string; audience: string; tokenSigningAlg: string }) {
  const app = express();

  app.use(
    "/api",
    auth({
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      audience,
      tokenSigningAlg,
      // RFC 9068 profile: typ at+jwt, and the claims iss, sub, aud, exp, iat, jti and client_id.
      strict: true,
    }),
  );

  app.get("/api/whoami", (req, res) => {
    const { sub, client_id, roles } = req.auth!.payload;
    res.json({ sub, client_id, roles });
  });

  // The library's errors carry the status (401) and the WWW-Authenticate challenge.
  const unauthorized: ErrorRequestHandler = (error, _req, res, _next) => {
    res.status(error.status ?? 500).set(error.headers ?? {}).json({ error: error.code ?? "server_error" });
  };
  app.use(unauthorized);
  return app;
}
