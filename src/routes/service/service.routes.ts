import { createRoute, z } from "@hono/zod-openapi";
import { jsonContent } from "../../http/openapi.js";

const tags = ["Service"];

const CheckStatusSchema = z.enum(["ok", "unavailable"]);
export const ReadinessSchema = z
  .object({
    status: CheckStatusSchema,
    checks: z.record(z.string(), CheckStatusSchema).openapi({ example: { database: "ok", redis: "unavailable" } }),
  })
  .openapi("Readiness");

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

export const healthz = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "healthz",
  tags,
  summary: "Liveness: 200 while the process serves",
  responses: { 200: jsonContent(z.object({ status: z.literal("ok") }), "The process is serving") },
});

export const readyz = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "readyz",
  tags,
  summary: "Readiness: 200 when the database (and Redis, where configured) answer",
  responses: {
    200: jsonContent(ReadinessSchema, "Every dependency answers"),
    503: jsonContent(ReadinessSchema, "At least one dependency does not answer; `checks` names it"),
  },
});

export const jwks = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  operationId: "jwks",
  tags,
  summary: "Public keys that verify access tokens (empty with HS256)",
  responses: {
    200: jsonContent(z.object({ keys: z.array(JwkSchema) }).openapi("JwkSet"), "The JSON Web Key Set"),
  },
});
