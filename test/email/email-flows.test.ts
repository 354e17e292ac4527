import { beforeAll, describe, expect, it } from "vitest";
import { describeEachBackend, flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { useMailApp } from "../helpers/mail-app.js";
import type { BackendName } from "../helpers/test-app.js";
import { createCapturingLogger } from "../security/support.js";
import { dumpDatabase, linkOf, mailbox } from "./support.js";

/**
 * The email flows end to end: a real SMTP server (smtp-server) receives every message, mailparser
 * parses it, and the test follows the link in the text part as a user would.
 */
describeEachBackend("email flows", (backend: BackendName) => {
  const capture = createCapturingLogger("trace");
  const mail = useMailApp({ backend, logger: capture.logger });
  let box: ReturnType<typeof mailbox>;
  /** Every token a message carried, to look for in the logs and the database at the end. */
  const tokensSeen: string[] = [];
  const { register, login, signedIn, me, refresh } = flows(() => mail.client);

  beforeAll(() => {
    box = mailbox(mail.smtp);
  });

  const post = (path: string, json: unknown, token?: string) => mail.client.request("POST", path, { json, ...(token && { token }) });
  const idle = () => mail.testApp.deps.mailQueue.drain().then(() => undefined);

  async function resetLink(email: string): Promise<string> {
    expect((await post("/password/forgot", { email })).status).toBe(202);
    const { token } = linkOf(await box.next(email), "/reset-password");
    tokensSeen.push(token);
    return token;
  }

  async function verificationLink(email: string, accessToken: string): Promise<string> {
    expect((await post("/email/verification", {}, accessToken)).status).toBe(202);
    const { token } = linkOf(await box.next(email), "/verify-email");
    tokensSeen.push(token);
    return token;
  }

  it("verifies an address with the link, once", async () => {
    const { email, tokens } = await signedIn("verify");
    expect((await me(tokens.access_token)).body.email_verified).toBe(false);
    const token = await verificationLink(email, tokens.access_token);

    const verified = await post("/email/verify", { token });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ email, email_verified: true });
    expect((await me(tokens.access_token)).body.email_verified).toBe(true);

    const again = await post("/email/verify", { token });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe("INVALID_ONE_TIME_TOKEN");

    // Verified already: 202, and nothing new is sent.
    const before = box.countTo(email);
    expect((await post("/email/verification", {}, tokens.access_token)).status).toBe(202);
    await idle();
    expect(box.countTo(email)).toBe(before);
  });

  it("lets a verification link expire after EMAIL_VERIFICATION_TOKEN_TTL (24 h)", async () => {
    const { email, tokens } = await signedIn("verify-expiry");
    const token = await verificationLink(email, tokens.access_token);
    mail.testApp.clock.advance(24 * 3600 + 1);
    const late = await post("/email/verify", { token });
    expect(late.status).toBe(400);
    expect(late.body.code).toBe("INVALID_ONE_TIME_TOKEN");
  });

  it("never takes a token of one purpose for another", async () => {
    const { email, tokens } = await signedIn("purpose");
    const verification = await verificationLink(email, tokens.access_token);
    const reset = await resetLink(email);
    expect((await post("/password/reset", { token: verification, new_password: "another good password" })).body.code).toBe("INVALID_ONE_TIME_TOKEN");
    expect((await post("/email/verify", { token: reset })).body.code).toBe("INVALID_ONE_TIME_TOKEN");
    // Both still work for their own purpose: the wrong use spent nothing.
    expect((await post("/email/verify", { token: verification })).status).toBe(200);
    expect((await post("/password/reset", { token: reset, new_password: "another good password" })).status).toBe(204);
  });

  it("resets the password with the link: once, every session ends, a notice follows", async () => {
    const { email, tokens } = await signedIn("reset");
    const second = await login(email);
    const token = await resetLink(email);

    // A new password that breaks the rule register uses is a 400 and leaves the token usable.
    const weak = await post("/password/reset", { token, new_password: "short" });
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe("VALIDATION_FAILED");

    expect((await post("/password/reset", { token, new_password: "a brand new passphrase" })).status).toBe(204);
    const reused = await post("/password/reset", { token, new_password: "yet another passphrase" });
    expect(reused.status).toBe(400);
    expect(reused.body.code).toBe("INVALID_ONE_TIME_TOKEN");

    for (const pair of [tokens, second]) {
      expect((await me(pair.access_token)).status).toBe(401);
      expect((await refresh(pair.refresh_token)).status).toBe(401);
    }
    expect((await post("/login", { email, password: PASSWORD })).status).toBe(401);
    const fresh = await login(email, "a brand new passphrase");
    // Following the link proved the address.
    expect((await me(fresh.access_token)).body.email_verified).toBe(true);

    const notice = await box.next(email);
    expect(notice.subject).toMatch(/password was changed/i);
    const events = (await mail.client.request("GET", "/me/events", { token: fresh.access_token })).body.items.map((event: { type: string }) => event.type);
    expect(events).toEqual(expect.arrayContaining(["password_reset_requested", "password_reset"]));
  });

  it("lets a reset link expire after PASSWORD_RESET_TOKEN_TTL (30 min)", async () => {
    const { email } = await signedIn("reset-expiry");
    const token = await resetLink(email);
    mail.testApp.clock.advance(30 * 60 + 1);
    expect((await post("/password/reset", { token, new_password: "a brand new passphrase" })).body.code).toBe("INVALID_ONE_TIME_TOKEN");
  });

  it("ends outstanding reset links on a new request and on a password change", async () => {
    const { email, tokens } = await signedIn("reset-ends");
    const first = await resetLink(email);
    const second = await resetLink(email);
    expect((await post("/password/reset", { token: first, new_password: "first new passphrase" })).body.code).toBe("INVALID_ONE_TIME_TOKEN");

    const changed = await post("/me/password", { current_password: PASSWORD, new_password: "changed by the user" }, tokens.access_token);
    expect(changed.status).toBe(204);
    expect((await box.next(email)).subject).toMatch(/password was changed/i);
    expect((await post("/password/reset", { token: second, new_password: "second new passphrase" })).body.code).toBe("INVALID_ONE_TIME_TOKEN");
  });

  it("answers /password/forgot the same for known and unknown addresses, and mails only the known one", async () => {
    const known = (await register(uniqueEmail("known"))).email;
    const unknown = uniqueEmail("unknown");
    const answers = [await post("/password/forgot", { email: known }), await post("/password/forgot", { email: unknown })];
    const shape = (response: (typeof answers)[number]) => ({
      status: response.status,
      text: response.text,
      // Everything but the request id, the remaining count of the per-IP limit, which each request
      // lowers, and the seconds to its reset, which a wall-clock second between the two can lower.
      headers: [...response.headers]
        .filter(([name]) => name !== "x-request-id")
        .map(([name, value]) => [name, name === "ratelimit" ? value.replace(/r=\d+/, "r=").replace(/t=\d+/, "t=") : value]),
    });
    expect(shape(answers[0]!)).toEqual(shape(answers[1]!));
    expect(answers[0]!.status).toBe(202);
    await mail.testApp.deps.background.whenIdle();
    tokensSeen.push(linkOf(await box.next(known), "/reset-password").token);
    await idle();
    expect(box.countTo(unknown)).toBe(0);
  });

  it("changes the address with the link to the new one, and tells the old one", async () => {
    const { email, tokens } = await signedIn("change");
    const newEmail = uniqueEmail("changed");
    expect((await post("/me/email", { new_email: newEmail, password: "not the password" }, tokens.access_token)).body.code).toBe("WRONG_PASSWORD");
    expect((await post("/me/email", { new_email: newEmail, password: PASSWORD }, tokens.access_token)).status).toBe(202);
    const { token } = linkOf(await box.next(newEmail), "/confirm-email");
    tokensSeen.push(token);
    expect((await me(tokens.access_token)).body.email).toBe(email);

    const changed = await post("/email/verify", { token });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ email: newEmail, email_verified: true });
    expect((await post("/email/verify", { token })).body.code).toBe("INVALID_ONE_TIME_TOKEN");
    const notice = await box.next(email);
    expect(notice.text).toContain(newEmail);
    await login(newEmail);
    expect((await post("/login", { email, password: PASSWORD })).status).toBe(401);
  });

  it("refuses an email change to an address registered meanwhile (409)", async () => {
    const { tokens } = await signedIn("change-race");
    const newEmail = uniqueEmail("taken-later");
    expect((await post("/me/email", { new_email: newEmail, password: PASSWORD }, tokens.access_token)).status).toBe(202);
    const { token } = linkOf(await box.next(newEmail), "/confirm-email");
    tokensSeen.push(token);
    await register(newEmail);
    const taken = await post("/email/verify", { token });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe("EMAIL_TAKEN");
    // Asking for a registered address is refused at once.
    expect((await post("/me/email", { new_email: newEmail, password: PASSWORD }, tokens.access_token)).body.code).toBe("EMAIL_TAKEN");
  });

  it("spends a token exactly once under 10 concurrent uses", async () => {
    const { email, tokens } = await signedIn("race");
    const reset = await resetLink(email);
    const resets = await Promise.all(Array.from({ length: 10 }, (_, i) => post("/password/reset", { token: reset, new_password: `concurrent passphrase ${i}` })));
    expect(resets.map((r) => r.status).sort()).toEqual([204, ...Array<number>(9).fill(400)]);


    const other = await signedIn("race-verify");
    const verification = await verificationLink(other.email, other.tokens.access_token);
    const verifies = await Promise.all(Array.from({ length: 10 }, () => post("/email/verify", { token: verification })));
    expect(verifies.map((r) => r.status).sort()).toEqual([200, ...Array<number>(9).fill(400)]);
    void tokens;
  });

  it("delivers a message once the SMTP server is back, its link sealed in the outbox meanwhile", async () => {
    const email = (await register(uniqueEmail("outage"))).email;
    await mail.smtp.stop();
    let dumpWhileQueued: string;
    try {
      expect((await post("/password/forgot", { email })).status).toBe(202);
      await mail.testApp.deps.background.whenIdle();
      // The queue tries, fails and schedules a retry while the server is away.
      await expect.poll(async () => (await mail.client.request("GET", "/metrics")).text.match(/^auth_mail_retried_total (\d+)/m)?.[1], { timeout: 10_000 }).not.toBe("0");
      dumpWhileQueued = await dumpDatabase(mail.testApp.database.db);
      expect(dumpWhileQueued).toContain(`mail_outbox: `);
      expect(dumpWhileQueued).toContain(email);
    } finally {
      await mail.smtp.start();
    }
    const { token } = linkOf(await box.next(email), "/reset-password");
    tokensSeen.push(token);
    // What a database reader saw while the message waited: no link that could be presented.
    expect(dumpWhileQueued).not.toContain(token);
    expect((await mail.client.request("GET", "/metrics")).text).toMatch(/^auth_mail_sent_total [1-9]/m);
  });

  it("keeps every token out of the logs and out of the database", async () => {
    expect(tokensSeen.length).toBeGreaterThan(10);
    await idle();
    const logs = capture.output();
    const dump = await dumpDatabase(mail.testApp.database.db);
    for (const token of tokensSeen) {
      expect(logs).not.toContain(token);
      expect(dump).not.toContain(token);
    }
    expect(logs).toContain("security event: password_reset");
  });
});
