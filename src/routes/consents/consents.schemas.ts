import { z } from "@hono/zod-openapi";
import { clientIdPathParam } from "../admin/admin.schemas.js";
import type { ClientSummary, ConsentSummary } from "../../oauth/user-applications.js";

const CLIENT_EXAMPLE = { id: "n3V8yQm2Tq6cWk1xZpR4sA", name: "Partner dashboard" };

export const ClientSummarySchema = z
  .object({
    id: z.string().openapi({ description: "The client_id" }),
    name: z.string(),
  })
  .openapi("ClientSummary", { example: CLIENT_EXAMPLE });

const CONSENT_EXAMPLE = { client: CLIENT_EXAMPLE, scopes: ["openid", "profile", "email"], granted_at: "2026-11-28T14:05:00.000Z" };

export const ConsentSchema = z
  .object({
    client: ClientSummarySchema,
    scopes: z.array(z.string()).openapi({ description: "What the user allowed the client" }),
    granted_at: z.iso.datetime(),
  })
  .openapi("Consent", { example: CONSENT_EXAMPLE });

export const ConsentListSchema = z.array(ConsentSchema).openapi({ example: [CONSENT_EXAMPLE] });

export const ConsentClientParamsSchema = z.object({ client_id: clientIdPathParam("client_id", CLIENT_EXAMPLE.id) });

export function toClientSummaryBody(client: ClientSummary): z.infer<typeof ClientSummarySchema> {
  return { id: client.id, name: client.name };
}

export function toConsentBody(consent: ConsentSummary): z.infer<typeof ConsentSchema> {
  return { client: toClientSummaryBody(consent.client), scopes: consent.scopes, granted_at: consent.grantedAt.toISOString() };
}
