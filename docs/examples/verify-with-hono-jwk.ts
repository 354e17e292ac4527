import { Hono } from "hono";
import { jwk } from "hono/jwk";

/** `issuer`: auth-service's JWT_ISSUER (its public URL); `audience`: its JWT_AUDIENCE. */
export function createApi({ issuer, audience }: { issuer: string; audience: string }) {
  const app = new Hono<{ Variables: { jwtPayload: { sub: string; client_id: string; roles: string[] } } }>();

  app.use(
    "/api/*",
    jwk({
      // Fetched on every request: put a cache in front of it for heavy traffic, or use jose.
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      alg: ["EdDSA", "ES256", "RS256", "PS256"],
      // typ: without it hono/jwk accepts only `typ: JWT` (or none) and refuses every access token.
      verification: { iss: issuer, aud: audience, typ: "at+jwt" },
    }),
  );

  app.get("/api/whoami", (c) => {
    const { sub, client_id, roles } = c.get("jwtPayload");
    return c.json({ sub, client_id, roles });
  });
  return app;
}
