import { afterAll, beforeAll, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { describeEachBackend, flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { createCapturingLogger } from "../security/support.js";
import { dumpDatabase } from "../email/support.js";
import { authenticator } from "./support.js";

describeEachBackend("login with a second factor", (backend: BackendName) => {
  let testApp: TestApp;
  let client: TestClient;
  const capture = createCapturingLogger("trace");
  const seen: string[] = [];
  const { register, login } = flows(() => client);

  beforeAll(async () => {
    // A small failed-login budget, so the throttle's refusal is reached within a test.
    testApp = await createTestApp({ backend, logger: capture.logger, env: { LOGIN_THROTTLE: "3/15m", LOGIN_THROTTLE_ACCOUNT_CAP: "50/15m" } });
    client = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  const post = (path: string, json: unknown, token?: string) => client.request("POST", path, { json, ...(token && { token }) });

  async function enrolledUser() {
    const email = uniqueEmail("mfa-login");
    await register(email);
    const token = (await login(email)).access_token;
    const begun = await post("/me/mfa/totp", { password: PASSWORD }, token);
    seen.push(begun.body.secret);
    const code = authenticator(begun.body.secret, testApp.clock);
    const confirmed = await post("/me/mfa/totp/confirm", { code: code() }, token);
    expect(confirmed.status).toBe(200);
    seen.push(...confirmed.body.recovery_codes);
    testApp.clock.advance(30);
    return { email, code, recoveryCodes: confirmed.body.recovery_codes as string[] };
  }

  async function firstStep(email: string): Promise<string> {
    const answer = await post("/login", { email, password: PASSWORD });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ mfa_required: true, mfa_token: expect.any(String), mfa_methods: ["totp", "recovery_code"] });
    expect(answer.body.access_token).toBeUndefined();
    seen.push(answer.body.mfa_token);
    return answer.body.mfa_token;
  }

  it("a password login carries amr [pwd] and auth_time, also after a refresh", async () => {
    const email = uniqueEmail("pwd");
    await register(email);
    const pair = await login(email);
    const claims = decodeJwt(pair.access_token);
    expect(claims.amr).toEqual(["pwd"]);
    expect(claims.auth_time).toBe(Math.floor(testApp.clock().getTime() / 1000));
    testApp.clock.advance(60);
    const refreshed = await post("/refresh", { refresh_token: pair.refresh_token });
    expect(decodeJwt(refreshed.body.access_token)).toMatchObject({ amr: ["pwd"], auth_time: claims.auth_time });
  });

  it("password then TOTP code: tokens with amr [pwd, otp, mfa]; the mfa_token is single use, the code too", async () => {
    const { email, code } = await enrolledUser();
    const mfaToken = await firstStep(email);
    const authTime = Math.floor(testApp.clock().getTime() / 1000);
    const right = code();
    const done = await post("/login/mfa", { mfa_token: mfaToken, code: right });
    expect(done.status).toBe(200);
    expect(done.headers.get("cache-control")).toBe("no-store");
    expect(decodeJwt(done.body.access_token)).toMatchObject({ amr: ["pwd", "otp", "mfa"], auth_time: authTime });
    expect((await post("/login/mfa", { mfa_token: mfaToken, code: code(1) })).body.code).toBe("INVALID_MFA_TOKEN");
    // The same code in a new login: refused (its step was accepted once).
    const again = await firstStep(email);
    expect((await post("/login/mfa", { mfa_token: again, code: right })).body.code).toBe("INVALID_MFA_CODE");
    testApp.clock.advance(60);
    const refreshed = await post("/refresh", { refresh_token: done.body.refresh_token });
    expect(decodeJwt(refreshed.body.access_token)).toMatchObject({ amr: ["pwd", "otp", "mfa"], auth_time: authTime });
  });

  it("a recovery code works once; of 10 concurrent uses of one, exactly one signs in", async () => {
    const { email, recoveryCodes } = await enrolledUser();
    const done = await post("/login/mfa", { mfa_token: await firstStep(email), recovery_code: recoveryCodes[0]!.toUpperCase() });
    expect(done.status).toBe(200);
    expect(decodeJwt(done.body.access_token).amr).toEqual(["pwd", "mfa"]);
    expect((await post("/login/mfa", { mfa_token: await firstStep(email), recovery_code: recoveryCodes[0] })).body.code).toBe("INVALID_MFA_CODE");

    const tokens = await Promise.all(Array.from({ length: 10 }, () => firstStep(email)));
    const answers = await Promise.all(tokens.map((mfaToken) => post("/login/mfa", { mfa_token: mfaToken, recovery_code: recoveryCodes[1] })));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    const status = await client.request("GET", "/me/mfa", { token: done.body.access_token });
    expect(status.body.recovery_codes_left).toBe(8);
    const events = (await client.request("GET", "/me/events", { token: done.body.access_token })).body.items.map((event: { type: string }) => event.type);
    expect(events).toEqual(expect.arrayContaining(["recovery_code_used", "mfa_challenge_failed"]));
  });

  it("5 wrong codes end the mfa_token", async () => {
    // A budget of its own for this test's source, so that the throttle does not refuse first.
    const own = await createTestApp({ backend, env: { LOGIN_THROTTLE: "20/15m", LOGIN_THROTTLE_ACCOUNT_CAP: "50/15m" } });
    try {
      const previous = { testApp, client };
      testApp = own;
      client = inProcessClient(own.app);
      try {
        const { email, code } = await enrolledUser();
        const mfaToken = await firstStep(email);
        for (let attempt = 0; attempt < 5; attempt++) expect((await post("/login/mfa", { mfa_token: mfaToken, code: "000000" })).body.code).toBe("INVALID_MFA_CODE");
        expect((await post("/login/mfa", { mfa_token: mfaToken, code: code() })).body.code).toBe("INVALID_MFA_TOKEN");
        // A new login still works.
        expect((await post("/login/mfa", { mfa_token: await firstStep(email), code: code() })).status).toBe(200);
      } finally {
        ({ testApp, client } = previous);
      }
    } finally {
      await own.cleanup();
    }
  });

  it("wrong codes count toward the account's failed-login budget: past it, 429", async () => {
    const { email, code } = await enrolledUser();
    const mfaToken = await firstStep(email);
    for (let attempt = 0; attempt < 3; attempt++) expect((await post("/login/mfa", { mfa_token: mfaToken, code: "000000" })).status).toBe(403);
    const refused = await post("/login/mfa", { mfa_token: mfaToken, code: code() });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    // The password login from this source is refused too: one budget.
    expect((await post("/login", { email, password: PASSWORD })).status).toBe(429);
  });

  it("refuses a malformed body, an unknown mfa_token, and both code and recovery_code", async () => {
    expect((await post("/login/mfa", { mfa_token: "x".repeat(43), code: "123456" })).body.code).toBe("INVALID_MFA_TOKEN");
    expect((await post("/login/mfa", { mfa_token: "x", code: "123456", recovery_code: "abcd" })).status).toBe(400);
    expect((await post("/login/mfa", { mfa_token: "x" })).status).toBe(400);
    expect((await post("/login/mfa", { mfa_token: "x", code: "12345" })).status).toBe(400);
  });

  it("the OpenAPI document describes both answers of /login", async () => {
    const doc = (await client.request("GET", "/doc")).body;
    const schema = doc.paths["/login"].post.responses["200"].content["application/json"].schema;
    const ref = schema.$ref ? doc.components.schemas[schema.$ref.split("/").pop()] : schema;
    expect(ref.anyOf).toBeUndefined();
    const alternatives = ref.oneOf.map((s: { $ref: string }) => s.$ref);
    expect(alternatives).toEqual(["#/components/schemas/TokenPair", "#/components/schemas/MfaRequired"]);
    expect(doc.paths["/login/mfa"].post.operationId).toBe("loginMfa");
  });

  it("leaves no secret, recovery code or mfa_token in the database or the logs", async () => {
    await firstStep((await enrolledUser()).email);
    const dump = await dumpDatabase(testApp.database.db);
    const logs = capture.output();
    for (const secret of seen) {
      expect(dump).not.toContain(secret);
      expect(dump.toLowerCase()).not.toContain(secret.toLowerCase().replaceAll("-", ""));
      expect(logs).not.toContain(secret);
    }
  });
});
