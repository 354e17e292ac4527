/**
 * One message as the flows hand it over: the recipient, a subject and both bodies. The sender
 * (`from`) is not part of it: every mailer takes it from its options, so no flow can send as
 * anybody else.
 */
export interface MailMessage {
  /** A single address (`user@example.com`); the flows never send to several people at once. */
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Delivers one message. `send` resolves once the message has been handed on (accepted by the SMTP
 * server, written to the outbox directory) and rejects when it was not; it never retries: retrying
 * is the mail queue's job. Implementations: SMTP, an outbox directory for development, and the
 * unconfigured mailer that always throws {@link MailNotConfiguredError}.
 */
export interface Mailer {
  /** False only for the unconfigured mailer: the queue refuses to enqueue for it. */
  readonly configured: boolean;
  send(message: MailMessage): Promise<void>;
  /** Releases connections, if any. */
  close(): Promise<void>;
}

/** No mail transport is configured; the routes answer 503 with the problem code MAIL_NOT_CONFIGURED. */
export class MailNotConfiguredError extends Error {
  readonly code = "MAIL_NOT_CONFIGURED";
  constructor() {
    super("No mail transport is configured (set SMTP_URL, or MAIL_OUTBOX_DIR for development)");
    this.name = "MailNotConfiguredError";
  }
}
