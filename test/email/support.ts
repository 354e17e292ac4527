import { sql } from "drizzle-orm";
import type { ParsedMail } from "mailparser";
import { expect } from "vitest";
import type { Database } from "../../src/db/database.js";
import type { TestSmtpServer } from "../mail/smtp-test-server.js";

export const APP_URL = "https://app.example.test";

/** The env of an app that mails through the test SMTP server, with limits no test reaches unless it sets its own. */
export function mailEnv(smtp: TestSmtpServer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SMTP_URL: smtp.url,
    MAIL_FROM: "auth-service <no-reply@example.test>",
    APP_URL,
    RATE_LIMIT_MAIL: "100000/1h",
    MAIL_LIMIT_PER_ADDRESS: "1000/1h",
    ...extra,
  };
}

function recipients(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((address) => address.value.map((entry) => (entry.address ?? "").toLowerCase()));
}

/** Waits for a message to `address` accepted by the SMTP server that was not taken before, and takes it. */
export function mailbox(smtp: TestSmtpServer) {
  const taken = new Set<ParsedMail>();
  async function next(address: string, timeoutMs = 15_000): Promise<ParsedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = smtp.messages.find((mail) => !taken.has(mail) && recipients(mail).includes(address.toLowerCase()));
      if (found) {
        taken.add(found);
        return found;
      }
      if (Date.now() > deadline) throw new Error(`no message to ${address} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const countTo = (address: string) => smtp.messages.filter((mail) => recipients(mail).includes(address.toLowerCase())).length;
  return { next, countTo };
}

/** The link of a message, read as a user would: the text part's line of its own that starts with APP_URL. */
export function linkOf(mail: ParsedMail, path: string): { url: URL; token: string } {
  const line = (mail.text ?? "").split(/\r?\n/).find((candidate) => candidate.trim().startsWith(APP_URL));
  expect(line, "a line holding only the link").toBeDefined();
  expect(line!.trim()).toBe(line!.trim().split(/\s+/)[0]);
  const url = new URL(line!.trim());
  expect(url.pathname).toBe(path);
  const token = url.searchParams.get("token");
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  // The HTML part carries the same link.
  expect(mail.html || "").toContain(url.toString().replaceAll("&", "&amp;"));
  return { url, token: token! };
}

/** Every SQL table as JSON text, row by row: what a database dump would show. */
export async function dumpDatabase(db: Database): Promise<string> {
  const rowsOf = (result: unknown) => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, unknown>>;
  const tables = rowsOf(await db.execute(sql.raw("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'"))).map((row) =>
    String(row.table_name),
  );
  expect(tables).toEqual(expect.arrayContaining(["users", "one_time_tokens", "mail_outbox"]));
  const dump: string[] = [];
  for (const table of tables) {
    for (const row of rowsOf(await db.execute(sql.raw(`select row_to_json(t)::text as row from "${table}" t`)))) dump.push(`${table}: ${String(row.row)}`);
  }
  return dump.join("\n");
}
