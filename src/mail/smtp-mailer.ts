import { createTransport } from "nodemailer";
import { toNodemailerMessage } from "./compose.js";
import type { Mailer } from "./mailer.js";

export interface SmtpMailerOptions {
  /**
   * `smtp://user:pass@host:port` (STARTTLS whenever the server offers it) or `smtps://…` (TLS from
   * the first byte, usually port 465). User and password are percent-encoded. nodemailer's own
   * options may follow as a query (`?requireTLS=true` to refuse a server without STARTTLS).
   */
  url: string;
  /** The sender of every message: `"Example <no-reply@example.com>"` or a bare address. */
  from: string;
  /** Seconds to wait for the TCP/TLS connection, for the server's greeting and for DNS. Default 5. */
  connectTimeoutSeconds?: number;
  /** Seconds of silence from a connected server before the send fails. Default 20. */
  socketTimeoutSeconds?: number;
}

export interface SmtpMailer extends Mailer {
  /** Connects, greets and authenticates without sending: a readiness check for the wiring. */
  verify(): Promise<void>;
}

/**
 * A mailer over SMTP (nodemailer). One connection per message: an auth service sends a few messages
 * a minute, and a fresh connection means a server restart never leaves a dead pooled socket behind.
 * nodemailer's defaults wait 2 minutes to connect and 10 minutes on a silent socket; ours fail in
 * seconds, so the queue retries instead of hanging.
 */
export function createSmtpMailer(options: SmtpMailerOptions): SmtpMailer {
  const url = new URL(options.url);
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new Error(`SMTP URL must start with smtp:// or smtps://, not ${url.protocol}//`);
  }
  if (!url.hostname) throw new Error("SMTP URL has no host");
  if (!options.from.trim()) throw new Error("The mail sender (from) is empty");
  const connectTimeout = (options.connectTimeoutSeconds ?? 5) * 1000;
  const socketTimeout = (options.socketTimeoutSeconds ?? 20) * 1000;
  const transport = createTransport({
    url: options.url,
    connectionTimeout: connectTimeout,
    greetingTimeout: connectTimeout,
    dnsTimeout: connectTimeout,
    socketTimeout,
    // Never on: nodemailer's debug log writes the message data, and so the token links, to the logger.
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    configured: true,
    async send(message) {
      await transport.sendMail(toNodemailerMessage(options.from, message));
    },
    async verify() {
      await transport.verify();
    },
    async close() {
      transport.close();
    },
  };
}
