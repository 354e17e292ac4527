import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { uuidv7 } from "uuidv7";
import type { Database } from "../db/database.js";
import { mailOutbox, type MailOutboxRow } from "../db/schema.js";
import { isDependencyOutage } from "../lib/dependency-errors.js";
import { loggableError } from "../lib/loggable-error.js";
import { MailNotConfiguredError, type Mailer, type MailMessage } from "./mailer.js";
import type { OutboxSealer } from "./outbox-sealing.js";

/**
 * A durable outbox for mail: `enqueue` writes the message to the `mail_outbox` table and returns,
 * so an HTTP answer never waits for an SMTP server; a worker sends the rows that are due, deletes
 * each once the server accepted it, and on failure tries again later, with exponential back-off and
 * jitter, until the message is older than `maxAgeSeconds` and is dropped.
 *
 * A row is a whole message, with a live one-time link and so its secret token: its bodies are
 * sealed (AES-GCM under a key derived from the signing keys, src/mail/outbox-sealing.ts), so the
 * table never holds a link that could be presented; recipient and subject stay readable (they are
 * not credentials, and an operator may need to see what is stuck). The alternative, storing only
 * "send a reset mail to user X" and minting the token at send time, would put token creation into
 * the worker and make every flow asynchronous; an outbox of finished, sealed messages keeps the
 * flows simple and survives restarts. A row also lives only until its message is accepted, is
 * deleted, never archived, and is dropped after `maxAgeSeconds`, which should be no longer than the
 * shortest token lifetime. A row no listed key opens (its key was removed from the configuration)
 * is dropped at once. Nothing here logs a body, a link, a token or a subject: log lines carry the
 * row id, the attempt count and the age only.
 *
 * Claiming: a worker takes due rows with `SELECT … FOR UPDATE SKIP LOCKED` and, in the same
 * transaction, moves their `next_attempt_at` `leaseSeconds` ahead. Another instance skips the locked
 * rows and, once the transaction commits, no longer sees them as due; so two instances never send
 * the same message, and the send itself happens outside any transaction. Delivery is at-least-once
 * only in two corner cases, both logged: the process dies between the SMTP server's acceptance and
 * the DELETE, or a send outlasts the lease (keep `leaseSeconds` well above the mailer's timeouts).
 */
export interface MailQueue {
  /**
   * Stores the message and returns its id; the worker sends it. Throws {@link MailNotConfiguredError}
   * when the mailer is the unconfigured one, so the caller can answer 503 instead of queueing mail
   * that can never leave.
   */
  enqueue(message: MailMessage): Promise<string>;
  /** Starts the worker loop (idempotent): it drains now, then after every enqueue and every poll interval. */
  start(): void;
  /** Stops the worker loop and waits for the send in flight, if any. */
  stop(): Promise<void>;
  /** Sends every message due now, once each; for tests, a CLI, and the worker loop itself. */
  drain(): Promise<MailQueueDrainResult>;
}

export interface MailQueueDrainResult {
  sent: number;
  retried: number;
  dropped: number;
}

/** What the metric hooks are told: never the message, its recipient or its link. */
export interface MailQueueEvent {
  id: string;
  /** Send attempts so far, this one included. */
  attempts: number;
  /** Seconds since the message was enqueued. */
  ageSeconds: number;
}

export interface MailQueueOptions {
  db: Database;
  mailer: Mailer;
  /** Seals the bodies at enqueue and opens them to send. */
  sealer: OutboxSealer;
  logger: Logger;
  /** Injected so tests can move time; defaults to the wall clock. */
  clock?: () => Date;
  /** A message not sent within this many seconds of being enqueued is dropped (MAIL_MAX_AGE_SECONDS). */
  maxAgeSeconds: number;
  /** Back-off before the first retry; doubles with each further failure. Default 5. */
  retryBaseSeconds?: number;
  /** The longest back-off. Default 300. */
  retryMaxSeconds?: number;
  /** How long a claimed row stays invisible to other workers while it is being sent. Default 300. */
  leaseSeconds?: number;
  /** How often the worker looks for due messages (retries, other instances' rows). Default 5. */
  pollIntervalSeconds?: number;
  /** Rows claimed (and sent concurrently) at a time. Default 10. */
  batchSize?: number;
  /** The jitter's randomness in [0, 1); injected for tests. Defaults to Math.random. */
  random?: () => number;
  onSent?: (event: MailQueueEvent) => void;
  onRetried?: (event: MailQueueEvent & { retryInSeconds: number }) => void;
  onDropped?: (event: MailQueueEvent) => void;
}

type Outcome = "sent" | "retried" | "dropped" | "unknown";

export function createMailQueue(options: MailQueueOptions): MailQueue {
  const { db, mailer, sealer, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const random = options.random ?? Math.random;
  const maxAgeMs = positive(options.maxAgeSeconds, "maxAgeSeconds") * 1000;
  const retryBaseMs = positive(options.retryBaseSeconds ?? 5, "retryBaseSeconds") * 1000;
  const retryMaxMs = positive(options.retryMaxSeconds ?? 300, "retryMaxSeconds") * 1000;
  const leaseMs = positive(options.leaseSeconds ?? 300, "leaseSeconds") * 1000;
  const pollIntervalMs = positive(options.pollIntervalSeconds ?? 5, "pollIntervalSeconds") * 1000;
  const batchSize = Math.floor(positive(options.batchSize ?? 10, "batchSize"));

  function ageSeconds(row: MailOutboxRow, now: Date): number {
    return Math.max(0, (now.getTime() - row.createdAt.getTime()) / 1000);
  }

  function expired(row: MailOutboxRow, now: Date): boolean {
    return now.getTime() - row.createdAt.getTime() >= maxAgeMs;
  }

  /** "Equal jitter": half the exponential delay is kept, half is random, so retries spread out but never come at once. */
  function backoffMs(attempts: number): number {
    const exponential = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempts - 1));
    return exponential / 2 + random() * (exponential / 2);
  }

  function drop(row: MailOutboxRow, attempts: number, now: Date, reason = "not sent within its max age"): void {
    const event = { id: row.id, attempts, ageSeconds: ageSeconds(row, now) };
    logger.error({ mailId: row.id, attempts, ageSeconds: event.ageSeconds, maxAgeSeconds: maxAgeMs / 1000 }, `mail dropped: ${reason}`);
    options.onDropped?.(event);
  }

  /** Takes up to `batchSize` due rows; drops (deletes) the expired ones among them in the same transaction. */
  async function claim(): Promise<{ due: MailOutboxRow[]; dropped: number }> {
    const now = clock();
    const result = await db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(mailOutbox)
        .where(lte(mailOutbox.nextAttemptAt, now))
        .orderBy(asc(mailOutbox.nextAttemptAt))
        .limit(batchSize)
        .for("update", { skipLocked: true });
      const stale = rows.filter((row) => expired(row, now));
      const due = rows.filter((row) => !expired(row, now));
      if (stale.length > 0) await tx.delete(mailOutbox).where(inArray(mailOutbox.id, stale.map((row) => row.id)));
      if (due.length > 0) {
        await tx
          .update(mailOutbox)
          .set({ attempts: sql`${mailOutbox.attempts} + 1`, nextAttemptAt: new Date(now.getTime() + leaseMs) })
          .where(inArray(mailOutbox.id, due.map((row) => row.id)));
      }
      return { stale, due };
    });
    for (const row of result.stale) drop(row, row.attempts, now);
    return { due: result.due, dropped: result.stale.length };
  }

  async function deliver(row: MailOutboxRow): Promise<Outcome> {
    const attempts = row.attempts + 1;
    const [text, html] = await Promise.all([
      sealer.open(row.textBody, { rowId: row.id, field: "text" }),
      sealer.open(row.htmlBody, { rowId: row.id, field: "html" }),
    ]);
    if (text === null || html === null) return unopenable(row, attempts);
    try {
      await mailer.send({ to: row.recipient, subject: row.subject, text, html });
    } catch (error) {
      return failed(row, attempts, error);
    }
    try {
      await db.delete(mailOutbox).where(eq(mailOutbox.id, row.id));
    } catch (error) {
      // The message is out but its row is not gone: once the lease ends it is sent again.
      logger.error({ mailId: row.id, err: loggableError(error) }, "mail sent but not deleted from the outbox; it will be sent again");
    }
    const event = { id: row.id, attempts, ageSeconds: ageSeconds(row, clock()) };
    logger.info({ mailId: row.id, attempts, ageSeconds: event.ageSeconds }, "mail sent");
    options.onSent?.(event);
    return "sent";
  }

  /** No listed key opens the row (or it was altered): it can never be sent, so it goes now. */
  async function unopenable(row: MailOutboxRow, attempts: number): Promise<Outcome> {
    try {
      await db.delete(mailOutbox).where(and(eq(mailOutbox.id, row.id), eq(mailOutbox.attempts, attempts)));
    } catch (error) {
      logger.error({ mailId: row.id, err: loggableError(error) }, "mail that cannot be opened could not be deleted; it is tried again when its lease ends");
      return "unknown";
    }
    drop(row, attempts, clock(), "its body cannot be opened with any configured key (was its signing key removed?)");
    return "dropped";
  }

  async function failed(row: MailOutboxRow, attempts: number, error: unknown): Promise<Outcome> {
    const now = clock();
    // Only the row we claimed: were the lease over and the row claimed again, `attempts` has moved on.
    const ours = and(eq(mailOutbox.id, row.id), eq(mailOutbox.attempts, attempts));
    try {
      if (expired(row, now)) {
        await db.delete(mailOutbox).where(ours);
        logger.warn({ mailId: row.id, attempts, err: loggableError(error) }, "mail send failed");
        drop(row, attempts, now);
        return "dropped";
      }
      const retryInMs = backoffMs(attempts);
      await db
        .update(mailOutbox)
        .set({ nextAttemptAt: new Date(now.getTime() + retryInMs) })
        .where(ours);
      const event = { id: row.id, attempts, ageSeconds: ageSeconds(row, now), retryInSeconds: retryInMs / 1000 };
      logger.warn(
        { mailId: row.id, attempts, retryInSeconds: event.retryInSeconds, err: loggableError(error) },
        "mail send failed; will retry",
      );
      options.onRetried?.(event);
      return "retried";
    } catch (bookkeepingError) {
      // The database is gone too: the lease runs out and the row is retried then.
      logger.error(
        { mailId: row.id, attempts, err: loggableError(error), outboxError: loggableError(bookkeepingError) },
        "mail send failed and could not be rescheduled; it is retried when its lease ends",
      );
      return "unknown";
    }
  }

  async function drain(): Promise<MailQueueDrainResult> {
    const totals: MailQueueDrainResult = { sent: 0, retried: 0, dropped: 0 };
    for (;;) {
      const { due, dropped } = await claim();
      totals.dropped += dropped;
      const outcomes = await Promise.all(due.map(deliver));
      for (const outcome of outcomes) if (outcome !== "unknown") totals[outcome] += 1;
      // A short batch means nothing more is due; rows that just failed are scheduled in the future.
      if (due.length + dropped < batchSize) return totals;
    }
  }

  let running = false;
  let loop: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  let wakeRequested = false;

  async function run(): Promise<void> {
    while (running) {
      wakeRequested = false;
      try {
        await drain();
      } catch (error) {
        const err = loggableError(error);
        if (isDependencyOutage(error)) logger.warn({ err }, "mail queue: database unavailable; retrying");
        else logger.error({ err }, "mail queue: drain failed");
      }
      if (!running) break;
      // An enqueue during the drain may have come after its claim: go round again at once.
      if (wakeRequested) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, pollIntervalMs);
      });
      clearTimeout(timer);
      wake = undefined;
    }
  }

  return {
    async enqueue(message) {
      if (!mailer.configured) throw new MailNotConfiguredError();
      if (!message.to.trim()) throw new Error("A mail message needs a recipient");
      const id = uuidv7();
      const [textBody, htmlBody] = await Promise.all([
        sealer.seal(message.text, { rowId: id, field: "text" }),
        sealer.seal(message.html, { rowId: id, field: "html" }),
      ]);
      const now = clock();
      await db.insert(mailOutbox).values({
        id,
        recipient: message.to,
        subject: message.subject,
        textBody,
        htmlBody,
        createdAt: now,
        nextAttemptAt: now,
      });
      wakeRequested = true;
      wake?.();
      return id;
    },
    drain,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = undefined;
    },
  };
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`mail queue: ${name} must be a positive number, not ${value}`);
  return value;
}
