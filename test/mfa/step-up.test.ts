import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachBackend, flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { startTestSmtpServer, type TestSmtpServer } from "../mail/smtp-test-server.js";
import { linkOf, mailbox, mailEnv } from "../email/support.js";
import { authenticator } from "./support.js";

const NEW_PASSWORD = "a quieter harbour at dawn";

/**
 * Step-up: with TOTP enabled, changing the password or the address and deleting the account need a
 * current code (or a recovery code) besides the password; a password reset keeps the factor; an
 * admin can remove a user's factors.
 */
describeEachBackend("step-up with a second factor", (backend: BackendName) => {
  let smtp: TestSmtpServer;
  let testApp: TestApp;
  let client: TestClient;
  let box: ReturnType<typeof mailbox>;
  const { register, login } = flows(() => client);

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    testApp = await createTestApp({ backend, env: mailEnv(smtp) });
    client = inProcessClient(testApp.app);
    box = mailbox(smtp);
  });
  afterAll(async () => {
    await testApp?.cleanup();
    await smtp?.stop();
  });

  const post = (path: string, json: unknown, token?: string) => client.request("POST", path, { json, ...(token && { token }) });
  const del = (path: string, json: unknown, token: string) => client.request("DELETE", path, { json, token });

  async function enrolledUser() {
    const email = uniqueEmail("step-up");
    const user = await register(email);
    const token = (await login(email)).access_token;
    const begun = await post("/me/mfa/totp", { password: PASSWORD }, token);
    const code = authenticator(begun.body.secret, testApp.clock);
    const confirmed = await post("/me/mfa/totp/confirm", { code: code() }, token);
    expect(confirmed.status).toBe(200);
    testApp.clock.advance(30);
    return { id: user.id as string, email, token, code, recoveryCodes: confirmed.body.recovery_codes as string[] };
  }

  /** The token pair after a full MFA login (password, then a code of the next step). */
  async function mfaLogin(email: string, password: string, code: () => string) {
    const first = await post("/login", { email, password });
    expect(first.status).toBe(200);
    expect(first.body.mfa_required).toBe(true);
    const done = await post("/login/mfa", { mfa_token: first.body.mfa_token, code: code() });
    expect(done.status).toBe(200);
    return done.body;
  }

  it("POST /me/password: the password alone is refused (MFA_CODE_REQUIRED) and changes nothing; with a code it changes", async () => {
    const { email, token, code } = await enrolledUser();
    const withoutCode = await post("/me/password", { current_password: PASSWORD, new_password: NEW_PASSWORD }, token);
    expect(withoutCode.status).toBe(403);
    expect(withoutCode.body.code).toBe("MFA_CODE_REQUIRED");
    expect((await post("/login", { email, password: NEW_PASSWORD })).status).toBe(401);

    const wrongCode = await post("/me/password", { current_password: PASSWORD, new_password: NEW_PASSWORD, code: code(5) }, token);
    expect(wrongCode.body.code).toBe("INVALID_MFA_CODE");
    expect((await post("/login", { email, password: NEW_PASSWORD })).status).toBe(401);

    // A right code with a wrong password: the password is checked first, and the code stays unspent.
    const right = code();
    const wrongPassword = await post("/me/password", { current_password: "not the password", new_password: NEW_PASSWORD, code: right }, token);
    expect(wrongPassword.body.code).toBe("WRONG_PASSWORD");

    expect((await post("/me/password", { current_password: PASSWORD, new_password: NEW_PASSWORD, code: right }, token)).status).toBe(204);
    // The factor stays: the new password starts an MFA login.
    testApp.clock.advance(30);
    await mfaLogin(email, NEW_PASSWORD, code);
  });

  it("a code accepted for one step-up is not accepted again for the next", async () => {
    const { token, code } = await enrolledUser();
    const right = code();
    expect((await post("/me/password", { current_password: PASSWORD, new_password: NEW_PASSWORD, code: right }, token)).status).toBe(204);
    const replay = await post("/me/password", { current_password: NEW_PASSWORD, new_password: PASSWORD, code: right }, token);
    expect(replay.body.code).toBe("INVALID_MFA_CODE");
  });

  it("a recovery code confirms instead of a code, once; code and recovery_code together are a 400", async () => {
    const { token, code, recoveryCodes } = await enrolledUser();
    const both = await post("/me/password", { current_password: PASSWORD, new_password: NEW_PASSWORD, code: code(), recovery_code: recoveryCodes[0] }, token);
    expect(both.status).toBe(400);
    expect(both.body.code).toBe("VALIDATION_FAILED");
    expect((await post("/me/password", { current_password: PASSWORD, new_password: NEW_PASSWORD, recovery_code: recoveryCodes[0] }, token)).status).toBe(204);
    const again = await post("/me/password", { current_password: NEW_PASSWORD, new_password: PASSWORD, recovery_code: recoveryCodes[0] }, token);
    expect(again.body.code).toBe("INVALID_MFA_CODE");
    expect((await client.request("GET", "/me/mfa", { token })).body.recovery_codes_left).toBe(9);
    const events = (await client.request("GET", "/me/events?limit=20", { token })).body.items.map((event: { type: string }) => event.type);
    expect(events).toContain("recovery_code_used");
    expect(events).toContain("mfa_challenge_failed");
  });

  it("DELETE /me needs the code too; with it the account is gone", async () => {
    const { email, token, code } = await enrolledUser();
    expect((await del("/me", { password: PASSWORD }, token)).body.code).toBe("MFA_CODE_REQUIRED");
    expect((await client.request("GET", "/me", { token })).status).toBe(200);
    expect((await del("/me", { password: PASSWORD, code: code(-3) }, token)).body.code).toBe("INVALID_MFA_CODE");
    expect((await del("/me", { password: PASSWORD, code: code() }, token)).status).toBe(204);
    expect((await post("/login", { email, password: PASSWORD })).status).toBe(401);
  });

  it("POST /me/email needs the code too: without it no message is sent", async () => {
    const { email, token, code } = await enrolledUser();
    const newEmail = uniqueEmail("step-up-new");
    const refused = await post("/me/email", { new_email: newEmail, password: PASSWORD }, token);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe("MFA_CODE_REQUIRED");
    await testApp.deps.mailQueue.drain();
    expect(box.countTo(newEmail)).toBe(0);
    expect((await post("/me/email", { new_email: newEmail, password: PASSWORD, code: code() }, token)).status).toBe(202);
    const { token: change } = linkOf(await box.next(newEmail), "/confirm-email");
    expect((await post("/email/verify", { token: change })).status).toBe(200);
    expect((await client.request("GET", "/me", { token })).body.email).toBe(newEmail);
    expect(email).not.toBe(newEmail);
  });

  it("without a second factor, the password alone confirms (no code asked)", async () => {
    const email = uniqueEmail("no-factor");
    await register(email);
    const { access_token: token } = await login(email);
    expect((await post("/me/password", { current_password: PASSWORD, new_password: NEW_PASSWORD }, token)).status).toBe(204);
  });

  it("a password reset keeps the second factor: the new password still needs the code", async () => {
    const { email, code } = await enrolledUser();
    expect((await post("/password/forgot", { email })).status).toBe(202);
    const { token: reset } = linkOf(await box.next(email), "/reset-password");
    expect((await post("/password/reset", { token: reset, new_password: NEW_PASSWORD })).status).toBe(204);
    const first = await post("/login", { email, password: NEW_PASSWORD });
    expect(first.body).toMatchObject({ mfa_required: true });
    expect(first.body.access_token).toBeUndefined();
    await mfaLogin(email, NEW_PASSWORD, code);
  });

  it("DELETE /admin/users/{id}/mfa: an admin removes a user's factors, recorded naming the admin", async () => {
    const target = await enrolledUser();
    const adminEmail = uniqueEmail("mfa-admin");
    const admin = await register(adminEmail);
    await testApp.deps.users.update(admin.id, { roles: ["user", "admin"] });
    const adminToken = (await login(adminEmail)).access_token;

    // Not for a user without the role, nor for their own account through this route.
    const refused = await del(`/admin/users/${target.id}/mfa`, undefined, target.token);
    expect(refused.status).toBe(403);
    expect((await post("/login", { email: target.email, password: PASSWORD })).body.mfa_required).toBe(true);

    expect((await del(`/admin/users/${target.id}/mfa`, undefined, adminToken)).status).toBe(204);
    const pair = await post("/login", { email: target.email, password: PASSWORD });
    expect(pair.status).toBe(200);
    expect(pair.body.access_token).toEqual(expect.any(String));
    const status = await client.request("GET", "/me/mfa", { token: pair.body.access_token });
    expect(status.body).toMatchObject({ totp: { enabled: false }, recovery_codes_left: 0 });
    const events = (await client.request("GET", "/me/events?limit=20", { token: pair.body.access_token })).body.items;
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ type: "mfa_disabled", actor_id: admin.id })]));

    // Again, and for an unknown user.
    expect((await del(`/admin/users/${target.id}/mfa`, undefined, adminToken)).status).toBe(204);
    expect((await del("/admin/users/0193b7e4-5f1c-7a2b-9c3d-4e5f6a7b8c9d/mfa", undefined, adminToken)).status).toBe(404);
  });
});
