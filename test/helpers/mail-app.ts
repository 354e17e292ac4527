import { afterAll, beforeAll } from "vitest";
import { mailEnv } from "../email/support.js";
import { startTestSmtpServer, type TestSmtpServer } from "../mail/smtp-test-server.js";
import { createTestApp, inProcessClient, type TestApp, type TestAppOptions, type TestClient } from "./test-app.js";

/** A test SMTP server, an app that mails through it, and an in-process client of the app. */
export interface MailApp {
  smtp: TestSmtpServer;
  testApp: TestApp;
  client: TestClient;
}

/**
 * Starts a test SMTP server and an app mailing through it (mailEnv, plus `options.env`) in
 * beforeAll and stops both in afterAll; call it inside the describe. The fields are set once
 * beforeAll has run, so read them in tests and later hooks, not while the suite is collected.
 */
export function useMailApp(options: TestAppOptions = {}): MailApp {
  const mail = {} as MailApp;
  beforeAll(async () => {
    mail.smtp = await startTestSmtpServer();
    mail.testApp = await createTestApp({ ...options, env: mailEnv(mail.smtp, options.env) });
    mail.client = inProcessClient(mail.testApp.app);
  });
  afterAll(async () => {
    await mail.testApp?.cleanup();
    await mail.smtp?.stop();
  });
  return mail;
}
