import { z } from "@hono/zod-openapi";
import type { SecurityEvent } from "../../events/store.js";
import { SECURITY_EVENT_TYPES } from "../../events/store.js";
import type { SessionRecord } from "../../sessions/store.js";
import { limitQueryParam } from "../../http/openapi.js";
import { NameSchema, PasswordSchema } from "../auth/auth.schemas.js";

export const SessionSchema = z
  .object({
    id: z.uuid(),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime(),
    expires_at: z.iso.datetime().openapi({ description: "When the session ends unless refreshed (idle or absolute limit)" }),
    user_agent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean().openapi({ description: "The session of the access token used for this call" }),
  })
  .openapi("Session");

export const SessionIdParamsSchema = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "01936b2e-7c1a-7d4e-9f3b-2a1c5e8d9f00" }),
});

export const UpdateProfileBodySchema = z
  .object({ name: NameSchema.nullable().openapi({ description: "null clears the name" }) })
  .openapi("UpdateProfileRequest");

export const ChangePasswordBodySchema = z
  .object({
    current_password: z.string({ error: "must be a string" }).min(1, "must not be empty").max(1024, "is too long"),
    new_password: PasswordSchema,
  })
  .openapi("ChangePasswordRequest");

export const DeleteAccountBodySchema = z
  .object({ password: z.string({ error: "must be a string" }).min(1, "must not be empty").max(1024, "is too long") })
  .openapi("DeleteAccountRequest");

export const EventsQuerySchema = z.object({ limit: limitQueryParam(200, 50) });

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
  .openapi("SecurityEvent");

export function toSessionBody(session: SessionRecord, currentSessionId: string): z.infer<typeof SessionSchema> {
  const expiresAt = Math.min(session.idleExpiresAt.getTime(), session.absoluteExpiresAt.getTime());
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    expires_at: new Date(expiresAt).toISOString(),
    user_agent: session.userAgent,
    ip: session.ip,
    current: session.id === currentSessionId,
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
