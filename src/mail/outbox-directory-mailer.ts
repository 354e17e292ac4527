import { randomUUID } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import MailComposer from "nodemailer/lib/mail-composer";
import { toNodemailerMessage } from "./compose.js";
import type { Mailer } from "./mailer.js";

export interface OutboxDirectoryMailerOptions {
  /** Created if missing. Each message becomes one `.eml` file (RFC 5322) here. */
  dir: string;
  from: string;
  /** Names the files; injected so tests can order them. Defaults to the wall clock. */
  clock?: () => Date;
}

/**
 * A development mailer: every message is written as an `.eml` file that any mail client opens.
 * The files carry live links, so they are readable by their owner only (mode 0600). Each is written
 * under a temporary name and renamed, so a watcher never sees half a message.
 */
export function createOutboxDirectoryMailer(options: OutboxDirectoryMailerOptions): Mailer {
  const clock = options.clock ?? (() => new Date());
  if (!options.from.trim()) throw new Error("The mail sender (from) is empty");
  return {
    configured: true,
    async send(message) {
      const eml = await new MailComposer(toNodemailerMessage(options.from, message)).compile().build();
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      // ISO time first so that `ls` lists messages in the order they were sent.
      const name = `${clock().toISOString().replace(/[:.]/g, "-")}-${randomUUID()}.eml`;
      const temporary = join(options.dir, `.${name}.tmp`);
      await writeFile(temporary, eml, { mode: 0o600 });
      await rename(temporary, join(options.dir, name));
    },
    async close() {},
  };
}
