import { z } from "@hono/zod-openapi";
import type { SecurityEvent } from "../../events/store.js";
import { SECURITY_EVENT_TYPES } from "../../events/store.js";
import type { SessionRecord } from "../../sessions/store.js";
import { limitQueryParam } from "../../http/openapi.js";
import { atMostOneSecondFactor, SECOND_FACTOR_FIELDS } from "../mfa/mfa.schemas.js";
import { EXAMPLE, NameSchema, PasswordSchema } from "../auth/auth.schemas.js";
import type { ClientSummary } from "../../oauth/user-applications.js";
import { ClientSummarySchema, toClientSummaryBody } from "../consents/consents.schemas.js";

const SESSION_EXAMPLE = {
  id: EXAMPLE.sessionId,
  created_at: EXAMPLE.createdAt,
  last_used_at: "2026-11-28T14:05:00.000Z",
  expires_at: "2026-12-12T14:05:00.000Z",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64)",
  ip: "203.0.113.7",
  current: true,
  client: null,
};

export const SessionSchema = z
  .object({
    id: z.uuid(),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime(),
    expires_at: z.iso.datetime().openapi({ description: "When the session ends unless refreshed (idle or absolute limit)" }),
    user_agent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean().openapi({ description: "The session of the access token used for this call" }),
    client: ClientSummarySchema.nullable().openapi({ description: "The OAuth client this session is a grant of (signed in through the hosted pages); null for a login at this API" }),
  })
  .openapi("Session", { example: SESSION_EXAMPLE });

export const SessionListSchema = z.array(SessionSchema).openapi({ example: [SESSION_EXAMPLE] });

export const SessionIdParamsSchema = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: EXAMPLE.sessionId }),
});

export const UpdateProfileBodySchema = z
  .object({ name: NameSchema.nullable().openapi({ description: "null clears the name" }) })
  .openapi("UpdateProfileRequest", { example: { name: EXAMPLE.name } });

export const ChangePasswordBodySchema = z
  .object({
    current_password: z.string({ error: "must be a string" }).min(1, "must not be empty").max(1024, "is too long"),
    new_password: PasswordSchema,
    ...SECOND_FACTOR_FIELDS,
  })
  .refine(...atMostOneSecondFactor)
  .openapi("ChangePasswordRequest", { example: { current_password: EXAMPLE.password, new_password: "a quieter harbour at dawn" } });

export const DeleteAccountBodySchema = z
  .object({ password: z.string({ error: "must be a string" }).min(1, "must not be empty").max(1024, "is too long"), ...SECOND_FACTOR_FIELDS })
  .refine(...atMostOneSecondFactor)
  .openapi("DeleteAccountRequest", { example: { password: EXAMPLE.password, code: "123456" } });

export const EventsQuerySchema = z.object({ limit: limitQueryParam(200, 50) });

const SECURITY_EVENT_EXAMPLE = {
  id: "0193b7e9-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
  type: "login_succeeded",
  occurred_at: "2026-11-28T14:05:00.000Z",
  ip: "203.0.113.7",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64)",
  session_id: EXAMPLE.sessionId,
  actor_id: null,
  details: null,
};

export const SecurityEventSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(SECURITY_EVENT_TYPES),
    occurred_at: z.iso.datetime(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    session_id: z.uuid().nullable(),
    actor_id: z.uuid().nullable().openapi({ description: "The admin who acted, for admin actions" }),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("SecurityEvent", { example: SECURITY_EVENT_EXAMPLE });

export const SecurityEventListSchema = z
  .object({ items: z.array(SecurityEventSchema) })
  .openapi("SecurityEventList", { example: { items: [SECURITY_EVENT_EXAMPLE] } });

export function toSessionBody(session: SessionRecord, currentSessionId: string, client: ClientSummary | undefined): z.infer<typeof SessionSchema> {
  const expiresAt = Math.min(session.idleExpiresAt.getTime(), session.absoluteExpiresAt.getTime());
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    expires_at: new Date(expiresAt).toISOString(),
    user_agent: session.userAgent,
    ip: session.ip,
    current: session.id === currentSessionId,
    client: client ? toClientSummaryBody(client) : null,
  };
}

export function toEventBody(event: SecurityEvent): z.infer<typeof SecurityEventSchema> {
  return {
    id: event.id,
    type: event.type,
    occurred_at: event.occurredAt.toISOString(),
    ip: event.ip,
    user_agent: event.userAgent,
    session_id: event.sessionId,
    actor_id: event.actorId,
    details: event.details,
  };
}
