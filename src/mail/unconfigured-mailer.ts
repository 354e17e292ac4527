import { MailNotConfiguredError, type Mailer } from "./mailer.js";

/** The mailer when neither SMTP nor an outbox directory is configured: every send throws {@link MailNotConfiguredError}. */
export function createUnconfiguredMailer(): Mailer {
  return {
    configured: false,
    async send() {
      throw new MailNotConfiguredError();
    },
    async close() {},
  };
}
