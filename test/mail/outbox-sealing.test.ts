import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgliteDatabase, MIGRATIONS_FOLDER, type DatabaseHandle } from "../../src/db/database.js";
import { mailOutbox } from "../../src/db/schema.js";
import { createMailQueue, createSmtpMailer, type MailMessage } from "../../src/mail/index.js";
import { createOutboxSealer } from "../../src/mail/outbox-sealing.js";
import type { KeySecret } from "../../src/tokens/jwt.js";
import { createCapturingLogger } from "../security/support.js";
import { startTestSmtpServer, type TestSmtpServer } from "./smtp-test-server.js";

/**
 * The mail outbox holds no link in a form that could be presented (issue 13): its bodies are
 * sealed under keys derived from the signing keys, bound to their row and part, and a row no
 * configured key opens is dropped, never sent in any other form.
 */
const LINK = "https://app.example.test/reset-password?token=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";
const message: MailMessage = { to: "ada@example.test", subject: "Reset your password", text: `Open ${LINK}`, html: `<a href="${LINK}">reset</a>` };
const keyA: KeySecret = { kid: "key-a", material: new TextEncoder().encode("a".repeat(32)) };
const keyB: KeySecret = { kid: "key-b.with.dots", material: new TextEncoder().encode("b".repeat(32)) };

describe("the outbox sealer", () => {
  it("opens what it sealed, for the same row and part only", async () => {
    const sealer = createOutboxSealer([keyA]);
    const sealed = await sealer.seal(message.text, { rowId: "row-1", field: "text" });
    expect(sealed).not.toContain("token=");
    expect(await sealer.open(sealed, { rowId: "row-1", field: "text" })).toBe(message.text);
    expect(await sealer.open(sealed, { rowId: "row-2", field: "text" })).toBeNull();
    expect(await sealer.open(sealed, { rowId: "row-1", field: "html" })).toBeNull();
  });

  it("seals with the first key and opens with any listed one, so a rotation loses no queued mail", async () => {
    const before = createOutboxSealer([keyA]);
    const afterRotation = createOutboxSealer([keyB, keyA]);
    const context = { rowId: "row-1", field: "text" } as const;
    const sealedBefore = await before.seal("queued before", context);
    expect(await afterRotation.open(sealedBefore, context)).toBe("queued before");
    const sealedAfter = await afterRotation.seal("queued after", context);
    expect(await createOutboxSealer([keyB]).open(sealedAfter, context)).toBe("queued after");
    // The old key alone cannot open what the new one sealed, nor a sealer of other keys anything.
    expect(await before.open(sealedAfter, context)).toBeNull();
    expect(await createOutboxSealer([{ kid: "key-a", material: new TextEncoder().encode("c".repeat(32)) }]).open(sealedBefore, context)).toBeNull();
  });

  it("refuses a tampered, truncated or unsealed body", async () => {
    const sealer = createOutboxSealer([keyA]);
    const context = { rowId: "row-1", field: "html" } as const;
    const sealed = await sealer.seal("<p>hi</p>", context);
    // One character inside the ciphertext changed (not the last, whose low bits base64url may not use).
    const at = sealed.length - 10;
    const tampered = sealed.slice(0, at) + (sealed[at] === "A" ? "B" : "A") + sealed.slice(at + 1);
    for (const candidate of [tampered, sealed.slice(0, 20), "<p>hi</p>", `${sealed}.extra`, sealed.replace(/^v1/, "v2")]) {
      expect(await sealer.open(candidate, context)).toBeNull();
    }
  });

  it("refuses to exist without a key", () => {
    expect(() => createOutboxSealer([])).toThrow(/at least one key/);
  });
});

describe("the mail queue over the sealer, on a real database and SMTP server", () => {
  let database: DatabaseHandle;
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    database = await createPgliteDatabase();
    await database.migrate(MIGRATIONS_FOLDER);
    smtp = await startTestSmtpServer();
  });
  afterAll(async () => {
    await database?.close();
    await smtp?.stop();
  });

  const queueWith = (keys: KeySecret[], logger = createCapturingLogger("trace").logger, onDropped?: () => void) =>
    createMailQueue({
      db: database.db,
      mailer: createSmtpMailer({ url: smtp.url, from: "auth-service <no-reply@example.test>" }),
      sealer: createOutboxSealer(keys),
      logger,
      maxAgeSeconds: 1800,
      ...(onDropped && { onDropped }),
    });

  it("stores no link in the table and delivers the message as written", async () => {
    const queue = queueWith([keyA]);
    const id = await queue.enqueue(message);
    const [row] = await database.db.select().from(mailOutbox).where(eq(mailOutbox.id, id));
    expect(row).toMatchObject({ recipient: message.to, subject: message.subject });
    expect(JSON.stringify(row)).not.toContain("token=");
    expect(JSON.stringify(row)).not.toContain("Zm9vYmFy");

    expect(await queue.drain()).toEqual({ sent: 1, retried: 0, dropped: 0 });
    const [delivered] = await smtp.waitForMessages(1);
    expect(delivered!.text?.trim()).toBe(message.text);
    expect(delivered!.html).toContain(LINK);
    expect(await database.db.select().from(mailOutbox).where(eq(mailOutbox.id, id))).toEqual([]);
  });

  it("drops, and never sends, a row that no configured key opens or whose body was moved from another row", async () => {
    const capture = createCapturingLogger("trace");
    let dropped = 0;
    const sentBefore = smtp.messages.length;
    const old = await queueWith([keyA]).enqueue(message);
    const other = await queueWith([keyB]).enqueue({ ...message, to: "eve@example.test" });
    const [victim] = await database.db.select().from(mailOutbox).where(eq(mailOutbox.id, other));
    // A database writer moves Eve's sealed body onto a row of its own: the row id is bound in.
    const { textBody, htmlBody } = victim!;
    await database.db.delete(mailOutbox).where(eq(mailOutbox.id, other));
    await database.db.insert(mailOutbox).values({ ...victim!, id: "01900000-0000-7000-8000-000000000000", textBody, htmlBody });

    const queue = queueWith([keyB], capture.logger, () => dropped++);
    expect(await queue.drain()).toEqual({ sent: 0, retried: 0, dropped: 2 });
    expect(dropped).toBe(2);
    expect(smtp.messages.length).toBe(sentBefore);
    expect(await database.db.select().from(mailOutbox)).toEqual([]);
    expect(capture.output()).toContain("its body cannot be opened");
    expect(capture.output()).toContain(old);
    expect(capture.output()).not.toContain("Zm9vYmFy");
  });
});
