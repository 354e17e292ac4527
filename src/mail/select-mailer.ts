import type { Mailer } from "./mailer.js";
import { createOutboxDirectoryMailer } from "./outbox-directory-mailer.js";
import { createSmtpMailer } from "./smtp-mailer.js";
import { createUnconfiguredMailer } from "./unconfigured-mailer.js";

export interface MailerSelectionOptions {
  /** SMTP_URL; wins over `outboxDir` when both are set. */
  smtpUrl?: string | undefined;
  /** MAIL_OUTBOX_DIR: write `.eml` files instead of sending (development). */
  outboxDir?: string | undefined;
  /** MAIL_FROM; required when either of the above is set. */
  from?: string | undefined;
  connectTimeoutSeconds?: number;
  socketTimeoutSeconds?: number;
}

/** The one mailer the configuration asks for: SMTP, else an outbox directory, else the unconfigured mailer. */
export function createMailer(options: MailerSelectionOptions): Mailer {
  if (!options.smtpUrl && !options.outboxDir) return createUnconfiguredMailer();
  if (!options.from) throw new Error("MAIL_FROM is required when SMTP_URL or MAIL_OUTBOX_DIR is set");
  if (options.smtpUrl) {
    return createSmtpMailer({
      url: options.smtpUrl,
      from: options.from,
      ...(options.connectTimeoutSeconds !== undefined && { connectTimeoutSeconds: options.connectTimeoutSeconds }),
      ...(options.socketTimeoutSeconds !== undefined && { socketTimeoutSeconds: options.socketTimeoutSeconds }),
    });
  }
  return createOutboxDirectoryMailer({ dir: options.outboxDir as string, from: options.from });
}
