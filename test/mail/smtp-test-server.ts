import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server on 127.0.0.1 for the mail tests (smtp-server), each message parsed by mailparser.
 * It can be stopped and started again on the same port, made to answer the next messages with an
 * SMTP error, or to hold a message (the DATA reply) until released.
 */
export interface TestSmtpServer {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>`: plain SMTP, no STARTTLS, no authentication. */
  readonly url: string;
  /** Messages the server accepted, in order. */
  readonly messages: ParsedMail[];
  /** Messages whose DATA arrived, accepted or not. */
  readonly dataReceived: number;
  /** Answer the next `count` messages with `code` (e.g. 451, 554) instead of accepting them. */
  rejectNext(count: number, code: number): void;
  /** Hold every DATA reply until the returned function is called. */
  hold(): () => void;
  waitForMessages(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  /** Stops listening and drops open connections; `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startTestSmtpServer(options: { delayMs?: number } = {}): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  let dataReceived = 0;
  let rejections: { count: number; code: number } = { count: 0, code: 0 };
  let gate: Promise<void> | undefined;
  let port = 0;
  let server: SMTPServer | undefined;

  function create(): SMTPServer {
    return new SMTPServer({
      disabledCommands: ["STARTTLS"],
      authOptional: true,
      logger: false,
      closeTimeout: 100,
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then(async (parsed) => {
            dataReceived += 1;
            if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
            if (gate) await gate;
            if (rejections.count > 0) {
              rejections.count -= 1;
              callback(Object.assign(new Error("Test server refuses this message"), { responseCode: rejections.code }));
              return;
            }
            messages.push(parsed);
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
  }

  async function start(): Promise<void> {
    const next = create();
    await new Promise<void>((resolve, reject) => {
      next.server.once("error", reject);
      next.listen(port, "127.0.0.1", () => resolve());
    });
    port = (next.server.address() as AddressInfo).port;
    server = next;
  }

  await start();
  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages,
    get dataReceived() {
      return dataReceived;
    },
    rejectNext(count, code) {
      rejections = { count, code };
    },
    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    async waitForMessages(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} messages, got ${messages.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return messages;
    },
    async stop() {
      const current = server;
      server = undefined;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    start,
  };
}
