import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachBackend, flows, PASSWORD } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { createCapturingLogger } from "../security/support.js";
import { dumpDatabase } from "../email/support.js";
import { authenticator } from "./support.js";

describeEachBackend("TOTP enrolment and recovery codes", (backend: BackendName) => {
  let testApp: TestApp;
  let client: TestClient;
  const capture = createCapturingLogger("trace");
  /** Every secret and code the client saw, to look for in the logs and the database at the end. */
  const seen: string[] = [];
  const { signedIn, login } = flows(() => client);

  beforeAll(async () => {
    testApp = await createTestApp({ backend, logger: capture.logger });
    client = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  const call = (method: string, path: string, token: string, json?: unknown) => client.request(method, path, { token, ...(json !== undefined && { json }) });

  /** A signed-in user with a confirmed factor; the clock is moved a step on so the confirming code's step is past. */
  async function enrolled() {
    const session = await signedIn("mfa");
    const token = session.tokens.access_token;
    const begun = await call("POST", "/me/mfa/totp", token, { password: PASSWORD });
    expect(begun.status).toBe(200);
    seen.push(begun.body.secret);
    const code = authenticator(begun.body.secret, testApp.clock);
    const confirmed = await call("POST", "/me/mfa/totp/confirm", token, { code: code() });
    expect(confirmed.status).toBe(200);
    seen.push(...confirmed.body.recovery_codes);
    testApp.clock.advance(30);
    return { ...session, token, code, recoveryCodes: confirmed.body.recovery_codes as string[] };
  }

  it("enrols: pending until the first code, then enabled with 10 recovery codes shown once", async () => {
    const { tokens } = await signedIn("mfa");
    const token = tokens.access_token;
    expect((await call("GET", "/me/mfa", token)).body).toEqual({ totp: { enabled: false }, passkeys: 0, recovery_codes_left: 0 });
    expect((await call("POST", "/me/mfa/totp", token, { password: "wrong password" })).body.code).toBe("WRONG_PASSWORD");
    const begun = await call("POST", "/me/mfa/totp", token, { password: PASSWORD });
    expect(begun.status).toBe(200);
    expect(begun.headers.get("cache-control")).toBe("no-store");
    seen.push(begun.body.secret);
    const uri = new URL(begun.body.otpauth_uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(begun.body.secret);
    expect((await call("GET", "/me/mfa", token)).body.totp.enabled).toBe(false);

    const code = authenticator(begun.body.secret, testApp.clock);
    expect((await call("POST", "/me/mfa/totp/confirm", token, { code: code(2) })).body.code).toBe("INVALID_MFA_CODE");
    const confirmed = await call("POST", "/me/mfa/totp/confirm", token, { code: code() });
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get("cache-control")).toBe("no-store");
    const codes: string[] = confirmed.body.recovery_codes;
    seen.push(...codes);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect((await call("GET", "/me/mfa", token)).body).toEqual({ totp: { enabled: true }, passkeys: 0, recovery_codes_left: 10 });
    // Enabled: a new enrolment is refused, and the confirmation is not repeatable.
    expect((await call("POST", "/me/mfa/totp", token, { password: PASSWORD })).status).toBe(409);
    expect((await call("POST", "/me/mfa/totp/confirm", token, { code: code() })).status).toBe(409);
    const events = (await call("GET", "/me/events", token)).body.items.map((event: { type: string }) => event.type);
    expect(events).toContain("mfa_enabled");
  });

  it("accepts a code once: the same step again is refused, ±1 step is accepted, ±2 refused", async () => {
    const { token, code } = await enrolled();
    const regenerate = (c: string) => call("POST", "/me/mfa/recovery-codes", token, { password: PASSWORD, code: c });
    const now = code();
    expect((await regenerate(now)).status).toBe(200);
    expect((await regenerate(now)).body.code).toBe("INVALID_MFA_CODE");
    expect((await regenerate(code(2))).body.code).toBe("INVALID_MFA_CODE");
    expect((await regenerate(code(-2))).body.code).toBe("INVALID_MFA_CODE");
    expect((await regenerate(code(1))).status).toBe(200);
    // A step later, the one before it and the one already taken by +1 are both spent; the next is fresh.
    testApp.clock.advance(30);
    expect((await regenerate(code(-1))).body.code).toBe("INVALID_MFA_CODE");
    expect((await regenerate(code())).body.code).toBe("INVALID_MFA_CODE");
    testApp.clock.advance(30);
    expect((await regenerate(code())).status).toBe(200);
  });

  it("a new set of recovery codes replaces the old; disabling needs password and code and ends the other sessions", async () => {
    const { token, code, email, recoveryCodes } = await enrolled();
    const other = await login(email);
    const renewed = await call("POST", "/me/mfa/recovery-codes", token, { password: PASSWORD, code: code() });
    expect(renewed.status).toBe(200);
    seen.push(...renewed.body.recovery_codes);
    expect(renewed.body.recovery_codes).not.toContain(recoveryCodes[0]);
    testApp.clock.advance(30);
    expect((await call("DELETE", "/me/mfa/totp", token, { password: PASSWORD })).status).toBe(400);
    expect((await call("DELETE", "/me/mfa/totp", token, { password: "wrong password", code: code() })).body.code).toBe("WRONG_PASSWORD");
    expect((await call("DELETE", "/me/mfa/totp", token, { password: PASSWORD, code: "000000" })).body.code).toBe("INVALID_MFA_CODE");
    expect((await call("DELETE", "/me/mfa/totp", token, { password: PASSWORD, code: code() })).status).toBe(204);
    expect((await call("GET", "/me/mfa", token)).body).toEqual({ totp: { enabled: false }, passkeys: 0, recovery_codes_left: 0 });
    expect((await client.request("GET", "/me", { token: other.access_token })).status).toBe(401);
    const events = (await call("GET", "/me/events", token)).body.items.map((event: { type: string }) => event.type);
    expect(events).toEqual(expect.arrayContaining(["mfa_disabled", "recovery_codes_regenerated", "mfa_challenge_failed"]));
  });

  it("leaves no TOTP secret or recovery code in the database or the logs", async () => {
    await enrolled();
    expect(seen.length).toBeGreaterThan(10);
    const dump = await dumpDatabase(testApp.database.db);
    const logs = capture.output();
    for (const secret of seen) {
      expect(dump).not.toContain(secret);
      expect(dump.toLowerCase()).not.toContain(secret.toLowerCase().replaceAll("-", ""));
      expect(logs).not.toContain(secret);
    }
  });
});

it("in production without MFA_ENCRYPTION_KEY, enrolment answers 503 MFA_NOT_CONFIGURED", async () => {
  const testApp = await createTestApp({ env: { NODE_ENV: "production", JWT_SECRET: "k8Jd2mQp9xV4nR7tL1wZ5cB3hF6gY0sA", JWT_ISSUER: "https://auth.example.com", SMTP_URL: "smtp://127.0.0.1:1" } });
  try {
    const client = inProcessClient(testApp.app);
    const { signedIn } = flows(() => client);
    const { tokens } = await signedIn("nokey");
    const answer = await client.request("POST", "/me/mfa/totp", { token: tokens.access_token, json: { password: PASSWORD } });
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe("MFA_NOT_CONFIGURED");
    expect((await client.request("GET", "/me/mfa", { token: tokens.access_token })).body.totp.enabled).toBe(false);
  } finally {
    await testApp.cleanup();
  }
});
