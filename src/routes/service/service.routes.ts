import { createRoute, z } from "@hono/zod-openapi";
import { headerRef, jsonContent, NO_CLIENT_ERROR_EXPECTED, NO_SECURITY } from "../../http/openapi.js";

const CheckStatusSchema = z.enum(["ok", "unavailable"]);
export const ReadinessSchema = z
  .object({
    status: CheckStatusSchema,
    checks: z.record(z.string(), CheckStatusSchema).openapi({ example: { database: "ok", redis: "ok" } }),
  })
  .openapi("Readiness", { example: { status: "ok", checks: { database: "ok", redis: "ok" } } });

const JwkSchema = z
  .object({
    kty: z.string(),
    kid: z.string(),
    alg: z.string(),
    use: z.string(),
    crv: z.string().optional(),
    x: z.string().optional(),
    y: z.string().optional(),
    n: z.string().optional().openapi({ description: "RSA modulus (RSA keys)" }),
    e: z.string().optional().openapi({ description: "RSA public exponent (RSA keys)" }),
  })
  .openapi("PublicJwk");

const JwkSetSchema = z.object({ keys: z.array(JwkSchema) }).openapi("JwkSet", {
  example: { keys: [{ kty: "OKP", kid: "2026-11-ed25519", alg: "EdDSA", use: "sig", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }] },
});


/** The public documents: short caching, so that a rotated key or a new capability shows within minutes. */
const publicCacheHeaders = { "Cache-Control": headerRef("CacheControlPublic") };

export const healthz = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "checkLiveness",
  tags: ["Service"],
  summary: "Liveness: 200 while the process serves",
  description: "Touches no dependency: a failing database does not make the process unhealthy (see /readyz).",
  security: NO_SECURITY,
  responses: {
    200: jsonContent(z.object({ status: z.literal("ok") }).openapi({ example: { status: "ok" } }), "The process is serving"),
    ...NO_CLIENT_ERROR_EXPECTED,
  },
});

export const readyz = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "checkReadiness",
  tags: ["Service"],
  summary: "Readiness: 200 when the database (and Redis, where configured) answer",
  description: "Each dependency has 2 seconds to answer; a load balancer sends no traffic to an instance answering 503.",
  security: NO_SECURITY,
  responses: {
    200: jsonContent(ReadinessSchema, "Every dependency answers"),
    503: {
      description: "At least one dependency does not answer; `checks` names it",
      content: { "application/json": { schema: ReadinessSchema, example: { status: "unavailable", checks: { database: "ok", redis: "unavailable" } } } },
    },
    ...NO_CLIENT_ERROR_EXPECTED,
  },
});

export const jwks = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  operationId: "getJwks",
  tags: ["Discovery"],
  summary: "Public keys that verify access tokens (empty with HS256)",
  description: "Every key that may have signed a live access token; verifiers pick a key by the token's `kid` and pin its `alg`.",
  security: NO_SECURITY,
  responses: {
    200: { ...jsonContent(JwkSetSchema, "The JSON Web Key Set"), headers: publicCacheHeaders },
    ...NO_CLIENT_ERROR_EXPECTED,
  },
});

