import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createMailer,
  createMailTemplates,
  createOutboxDirectoryMailer,
  createSmtpMailer,
  createUnconfiguredMailer,
  MailNotConfiguredError,
  type MailTemplates,
} from "../../src/mail/index.js";
import { startTestSmtpServer, type TestSmtpServer } from "./smtp-test-server.js";

const from = "Example Accounts <no-reply@example.test>";
const token = "tok_a+b/c=d&e";

let smtp: TestSmtpServer;
let templates: MailTemplates;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  templates = await createMailTemplates({ product: "Example", appUrl: "https://app.example.test/" });
});
afterAll(async () => {
  await smtp.stop();
});

describe("SMTP mailer", () => {
  it("delivers text and HTML parts, with the link on a line of its own", async () => {
    const mailer = createSmtpMailer({ url: smtp.url, from });
    const before = smtp.messages.length;
    await mailer.send(templates.render("verify-email", { to: "ada@example.test", token, name: "Ada" }));
    await mailer.close();

    const mail = smtp.messages[before];
    expect(mail?.subject).toBe("Confirm your email address for Example");
    expect(mail?.from?.value[0]?.address).toBe("no-reply@example.test");
    expect(mail?.from?.value[0]?.name).toBe("Example Accounts");
    expect(mail?.messageId).toBeTruthy();
    const link = templates.link("verify-email", token);
    expect(new URL(link).searchParams.get("token")).toBe(token);
    expect(mail?.text?.split(/\r?\n/)).toContain(link);
    expect(mail?.html).toContain(`href="${link.replaceAll("&", "&amp;")}"`);
  });

  it("escapes a hostile product name and display name in the HTML part", async () => {
    const hostile = await createMailTemplates({ product: `Evil <script>alert("p")</script>`, appUrl: "https://app.example.test" });
    const mailer = createSmtpMailer({ url: smtp.url, from });
    const before = smtp.messages.length;
    await mailer.send(
      hostile.render("reset-password", { to: "bob@example.test", token, name: `<img src=x onerror="alert(1)">` }),
    );
    const mail = smtp.messages[before];
    const html = String(mail?.html);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("Evil &lt;script&gt;alert(&quot;p&quot;)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    // Plain text needs no escaping: the value is shown as written.
    expect(mail?.text).toContain(`Evil <script>alert("p")</script>`);
  });

  it("fails with a timeout of its own when the server accepts the connection but never greets", async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${port}`, from, connectTimeoutSeconds: 1 });
    // ETIMEDOUT is nodemailer's own greeting timeout (connectTimeoutSeconds), not the test's.
    await expect(mailer.send(templates.render("password-changed-notice", { to: "a@example.test" }))).rejects.toMatchObject({
      code: "ETIMEDOUT",
    });
    silent.close();
  });

  it("fails at once when nothing listens", async () => {
    const other = await startTestSmtpServer();
    await other.stop();
    const mailer = createSmtpMailer({ url: other.url, from });
    await expect(mailer.send(templates.render("password-changed-notice", { to: "a@example.test" }))).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it("verifies the server for a readiness check", async () => {
    const mailer = createSmtpMailer({ url: smtp.url, from });
    await expect(mailer.verify()).resolves.toBeUndefined();
  });

  it("refuses a URL that is not smtp:// or smtps://", () => {
    expect(() => createSmtpMailer({ url: "http://mail.example.test", from })).toThrow(/smtp:\/\/ or smtps:\/\//);
  });
});

describe("outbox directory mailer", () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes each message as a parseable .eml file readable by its owner only", async () => {
    dir = join(await mkdtemp(join(tmpdir(), "mail-outbox-")), "nested");
    const mailer = createOutboxDirectoryMailer({ dir, from });
    await mailer.send(templates.render("reset-password", { to: "ada@example.test", token, name: "Ada" }));
    await mailer.send(templates.render("password-changed-notice", { to: "ada@example.test", name: "Ada" }));

    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    expect(files.every((file) => file.endsWith(".eml"))).toBe(true);
    const path = join(dir, files.find((file) => file) as string);
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const parsed = await Promise.all(files.map(async (file) => simpleParser(await readFile(join(dir, file)))));
    const reset = parsed.find((mail) => mail.subject === "Reset your Example password");
    expect(reset).toBeDefined();
    expect(reset?.to && "value" in reset.to ? reset.to.value[0]?.address : undefined).toBe("ada@example.test");
    expect(reset?.from?.value[0]?.address).toBe("no-reply@example.test");
    expect(reset?.date).toBeInstanceOf(Date);
    expect(reset?.text?.split(/\r?\n/)).toContain(templates.link("reset-password", token));
    expect(reset?.html).toContain("Choose a new password");
  });
});

describe("unconfigured mailer", () => {
  it("throws MailNotConfiguredError with the problem code", async () => {
    const mailer = createUnconfiguredMailer();
    expect(mailer.configured).toBe(false);
    const error = await mailer.send(templates.render("password-changed-notice", { to: "a@example.test" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailNotConfiguredError);
    expect((error as MailNotConfiguredError).code).toBe("MAIL_NOT_CONFIGURED");
  });

  it("is what createMailer returns without SMTP_URL or MAIL_OUTBOX_DIR", () => {
    expect(createMailer({}).configured).toBe(false);
    expect(createMailer({ smtpUrl: smtp.url, from }).configured).toBe(true);
    expect(() => createMailer({ smtpUrl: smtp.url })).toThrow(/MAIL_FROM/);
  });
});
