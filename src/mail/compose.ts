import type { MailMessage } from "./mailer.js";

/**
 * The nodemailer message fields for one message, shared by the SMTP and the outbox-directory
 * mailers so that both produce the same MIME. File and URL access are off: our bodies are strings,
 * and a body that happened to look like `{ path: "/etc/passwd" }` must never be read from disk.
 */
export function toNodemailerMessage(from: string, message: MailMessage) {
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
