import type { Logger } from "pino";
import { uuidv7 } from "uuidv7";
import type { SecurityEventStore, SecurityEventType } from "./store.js";

export interface SecurityEventInput {
  userId: string;
  ip?: string | null;
  userAgent?: string | null;
  sessionId?: string | null;
  actorId?: string | null;
  details?: Record<string, unknown> | null;
}

/** Records an event in the user's trail and as one structured log line. */
export type RecordSecurityEvent = (type: SecurityEventType, input: SecurityEventInput) => Promise<void>;

export interface SecurityEventRecorderOptions {
  store: SecurityEventStore;
  logger: Logger;
  clock: () => Date;
}

export function createSecurityEventRecorder({ store, logger, clock }: SecurityEventRecorderOptions): RecordSecurityEvent {
  return async (type, input) => {
    const event = {
      id: uuidv7(),
      type,
      userId: input.userId,
      occurredAt: clock(),
      ip: input.ip ?? null,
      userAgent: input.userAgent ?? null,
      sessionId: input.sessionId ?? null,
      actorId: input.actorId ?? null,
      details: input.details ?? null,
    };
    logger.info({ securityEvent: event }, `security event: ${type}`);
    await store.record(event);
  };
}
