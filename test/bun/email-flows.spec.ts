/**
 * The main email flows on Bun: a real Bun.serve listener, a real SMTP server (smtp-server) and
 * mailparser, run by `npx bun test ./test/bun/` (with TEST_DATABASE_URL and TEST_REDIS_URL in CI).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, type TestApp, type TestClient } from "../helpers/test-app.js";
import { startTestSmtpServer, type TestSmtpServer } from "../mail/smtp-test-server.js";
import { linkOf, mailbox, mailEnv } from "../email/support.js";
import { bunBackend, bunClient } from "./bun-client.js";

const backend = bunBackend;

describe(`email flows on Bun.serve, ${backend}`, () => {
  let smtp: TestSmtpServer;
  let testApp: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    testApp = await createTestApp({ backend, env: mailEnv(smtp) });
    client = bunClient((request) => testApp.app.fetch(request));
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await testApp?.cleanup();
    await smtp?.stop();
  }, 30_000);

  it("verifies the address, resets the password once and ends the sessions", async () => {
    const box = mailbox(smtp);
    const email = uniqueEmail("bun");
    expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
    const pair = (await client.request("POST", "/login", { json: { email, password: PASSWORD } })).body;

    expect((await client.request("POST", "/email/verification", { token: pair.access_token })).status).toBe(202);
    const verification = linkOf(await box.next(email), "/verify-email").token;
    const verified = await client.request("POST", "/email/verify", { json: { token: verification } });
    expect(verified.status).toBe(200);
    expect(verified.body.email_verified).toBe(true);
    expect((await client.request("POST", "/email/verify", { json: { token: verification } })).status).toBe(400);

    expect((await client.request("POST", "/password/forgot", { json: { email } })).status).toBe(202);
    expect((await client.request("POST", "/password/forgot", { json: { email: uniqueEmail("nobody") } })).status).toBe(202);
    const reset = linkOf(await box.next(email), "/reset-password").token;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.request("POST", "/password/reset", { json: { token: reset, new_password: `bun passphrase ${i}` } })));
    expect(results.map((r) => r.status).sort()).toEqual([204, ...Array<number>(9).fill(400)]);
    expect((await client.request("GET", "/me", { token: pair.access_token })).status).toBe(401);
    expect((await client.request("POST", "/refresh", { json: { refresh_token: pair.refresh_token } })).status).toBe(401);
  }, 60_000);
});
