import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { useMailApp } from "../helpers/mail-app.js";
import { createTestApp, inProcessClient } from "../helpers/test-app.js";
import { createCapturingLogger } from "../security/support.js";
import { linkOf, mailbox } from "./support.js";

describe("REQUIRE_EMAIL_VERIFICATION=true", () => {
  const mail = useMailApp({ env: { REQUIRE_EMAIL_VERIFICATION: "true" } });
  const { register } = flows(() => mail.client);

  it("refuses an unverified account with 403 EMAIL_NOT_VERIFIED only when the password is right", async () => {
    const email = (await register(uniqueEmail("unverified"))).email;
    const wrong = await mail.client.request("POST", "/login", { json: { email, password: "not the password" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe("INVALID_CREDENTIALS");
    const right = await mail.client.request("POST", "/login", { json: { email, password: PASSWORD } });
    expect(right.status).toBe(403);
    expect(right.body.code).toBe("EMAIL_NOT_VERIFIED");

    // A reset link proves the address too; afterwards the login goes through.
    expect((await mail.client.request("POST", "/password/forgot", { json: { email } })).status).toBe(202);
    const { token } = linkOf(await mailbox(mail.smtp).next(email), "/reset-password");
    expect((await mail.client.request("POST", "/password/reset", { json: { token, new_password: "verified by the link" } })).status).toBe(204);
    expect((await mail.client.request("POST", "/login", { json: { email, password: "verified by the link" } })).status).toBe(200);
  });
});

describe("mail limits", () => {
  const mail = useMailApp({ env: { MAIL_LIMIT_PER_ADDRESS: "2/1h", RATE_LIMIT_MAIL: "6/1h" } });
  const { register } = flows(() => mail.client);

  it("limits messages per address, the same for known and unknown ones, without starving another address", async () => {
    const known = (await register(uniqueEmail("limited"))).email;
    const unknown = uniqueEmail("limited-unknown");
    for (const email of [known, unknown]) {
      for (let i = 0; i < 2; i++) expect((await mail.client.request("POST", "/password/forgot", { json: { email } })).status).toBe(202);
      const refused = await mail.client.request("POST", "/password/forgot", { json: { email } });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe("RATE_LIMITED");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(refused.headers.get("ratelimit-policy")).toContain('"mail-address";q=2;w=3600');
    }
    await mail.testApp.deps.background.whenIdle();
    await mail.smtp.waitForMessages(2);
    await mail.testApp.deps.mailQueue.drain();
    expect(mailbox(mail.smtp).countTo(known)).toBe(2);
    // The per-IP limit (6 per hour on this route) is now spent: 6 requests counted, whatever the address.
    const perIp = await mail.client.request("POST", "/password/forgot", { json: { email: uniqueEmail("fresh") } });
    expect(perIp.status).toBe(429);
    expect(perIp.headers.get("ratelimit-policy")).toContain('"mail";q=6;w=3600');
  });
});

describe("without SMTP_URL", () => {
  it("in production: starts, says so in the log, and the mail routes answer 503 MAIL_NOT_CONFIGURED", async () => {
    const capture = createCapturingLogger("info");
    const testApp = await createTestApp({ env: { NODE_ENV: "production", JWT_ISSUER: "https://auth.example.com", JWT_SECRET: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))) }, logger: capture.logger });
    try {
      const client = inProcessClient(testApp.app);
      const answer = await client.request("POST", "/password/forgot", { json: { email: uniqueEmail() } });
      expect(answer.status).toBe(503);
      expect(answer.body.code).toBe("MAIL_NOT_CONFIGURED");
      expect(answer.headers.get("retry-after")).toBeTruthy();
      expect(capture.output()).toContain("MAIL_NOT_CONFIGURED");
      // Everything else works.
      expect((await client.request("POST", "/register", { json: { email: uniqueEmail(), password: PASSWORD } })).status).toBe(201);
    } finally {
      await testApp.cleanup();
    }
  });

  it("in development: writes each message as .eml under DATA_DIR/outbox and says where", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "auth-outbox-"));
    const capture = createCapturingLogger("info");
    const testApp = await createTestApp({ env: { NODE_ENV: "development", DATA_DIR: dataDir, APP_URL: "https://app.example.test" }, logger: capture.logger });
    try {
      const client = inProcessClient(testApp.app);
      const email = uniqueEmail("outbox");
      await flows(() => client).register(email);
      expect((await client.request("POST", "/password/forgot", { json: { email } })).status).toBe(202);
      await testApp.deps.background.whenIdle();
      const dir = join(dataDir, "outbox");
      expect(capture.output()).toContain(dir);
      // The queue's worker writes the file in the background.
      const emlFiles = async () => (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".eml"));
      await expect.poll(emlFiles, { timeout: 10_000 }).toHaveLength(1);
      const files = await emlFiles();
      const parsed = await simpleParser(await readFile(join(dir, files[0]!)));
      const { token } = linkOf(parsed, "/reset-password");
      expect((await client.request("POST", "/password/reset", { json: { token, new_password: "from the outbox file" } })).status).toBe(204);
    } finally {
      await testApp.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
