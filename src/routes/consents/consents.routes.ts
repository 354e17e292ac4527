import { createRoute } from "@hono/zod-openapi";
import { requireAuth } from "../../auth/require-auth.js";
import { BEARER_SECURITY, DEPENDENCY_PROBLEMS, jsonContent, problemResponses } from "../../http/openapi.js";
import { ConsentClientParamsSchema, ConsentListSchema } from "./consents.schemas.js";

export const listConsents = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  method: "get",
  path: "/me/consents",
  operationId: "listConsents",
  tags: ["Account"],
  summary: "The third-party applications the caller let in, newest first",
  description:
    "One entry per OAuth client the caller consented to on the hosted consent page, with the scopes allowed. First-party clients (the deployer's own) never ask for consent and are not listed; their sign-ins show in `GET /sessions`.",
  responses: {
    200: jsonContent(ConsentListSchema, "The caller's consents"),
    ...problemResponses("INVALID_TOKEN", ...DEPENDENCY_PROBLEMS),
  },
});

export const revokeConsent = createRoute({
  security: BEARER_SECURITY,
  middleware: [requireAuth()] as const,
  method: "delete",
  path: "/me/consents/{client_id}",
  operationId: "revokeConsent",
  tags: ["Account"],
  summary: "Take an application's access back",
  description:
    "Forgets the consent and ends every grant the caller gave this client: its refresh tokens and access tokens stop working at once, and its next authorization asks again. Works for first-party clients too (their grants end). 404 when the caller gave this client nothing.",
  request: { params: ConsentClientParamsSchema },
  responses: {
    204: { description: "The client's access is revoked" },
    ...problemResponses("VALIDATION_FAILED", "INVALID_TOKEN", "NOT_FOUND", ...DEPENDENCY_PROBLEMS),
  },
});
