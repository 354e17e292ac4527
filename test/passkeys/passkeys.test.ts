import { afterAll, beforeAll, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { describeEachBackend, flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { dumpDatabase } from "../email/support.js";
import { authenticator as totpApp } from "../mfa/support.js";
import { createSoftwareAuthenticator, type SoftwareAuthenticatorOptions } from "./software-authenticator.js";

/**
 * Passkeys end to end over HTTP against a software authenticator (./software-authenticator.ts):
 * registration, passwordless login, the passkey as the second step after a password, removal with
 * step-up, and the refusals: a replayed assertion, a wrong origin or RP ID, a cloned authenticator, a
 * challenge of another ceremony, no user verification; nothing in the database answers a ceremony.
 */
describeEachBackend("passkeys", (backend: BackendName) => {
  let testApp: TestApp;
  let client: TestClient;
  const challenges: string[] = [];
  const { register, login } = flows(() => client);

  beforeAll(async () => {
    testApp = await createTestApp({ backend });
    client = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  const post = (path: string, json?: unknown, token?: string) => client.request("POST", path, { ...(json !== undefined && { json }), ...(token && { token }) });
  const device = (overrides: Partial<SoftwareAuthenticatorOptions> = {}) =>
    createSoftwareAuthenticator({ origin: testApp.config.webauthn.origins[0]!, rpId: testApp.config.webauthn.rpId, ...overrides });

  async function registrationOptions(token: string) {
    const options = await post("/me/passkeys/options", undefined, token);
    expect(options.status).toBe(200);
    challenges.push(options.body.challenge);
    return options.body;
  }

  async function loginOptions(email?: string) {
    const options = await post("/login/passkey/options", email === undefined ? {} : { email });
    expect(options.status).toBe(200);
    challenges.push(options.body.challenge);
    return options.body;
  }

  async function withPasskey(authenticator = device(), name = "Laptop") {
    const email = uniqueEmail("passkey");
    const user = await register(email);
    const token = (await login(email)).access_token;
    const added = await post("/me/passkeys", { name, response: await authenticator.register(await registrationOptions(token)) }, token);
    expect(added.status).toBe(201);
    return { email, user, token, authenticator, passkey: added.body };
  }

  const events = async (token: string) => (await client.request("GET", "/me/events", { token })).body.items as Array<{ type: string; details: Record<string, unknown> | null }>;

  it("registers a passkey and signs in with it alone: amr [hwk, user, mfa], listed, counted, recorded", async () => {
    const { email, token, authenticator, passkey } = await withPasskey();
    expect(passkey).toEqual({ id: expect.any(String), name: "Laptop", created_at: expect.any(String), last_used_at: null });
    expect((await client.request("GET", "/me/mfa", { token })).body.passkeys).toBe(1);

    for (const options of [await loginOptions(), await loginOptions(email)]) {
      expect(options).toMatchObject({ rpId: "localhost", userVerification: "required" });
      expect(options.allowCredentials).toBeUndefined();
      const done = await post("/login/passkey", { response: await authenticator.assert(options) });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ token_type: "Bearer", refresh_token: expect.any(String) });
      const claims = decodeJwt(done.body.access_token);
      expect(claims.amr).toEqual(["hwk", "user", "mfa"]);
      expect(claims.auth_time).toBe(Math.floor(testApp.clock().getTime() / 1000));
    }
    const listed = (await client.request("GET", "/me/passkeys", { token })).body.items;
    expect(listed).toEqual([{ ...passkey, last_used_at: testApp.clock().toISOString() }]);
    expect((await events(token)).map((event) => event.type)).toEqual(expect.arrayContaining(["passkey_added", "passkey_login"]));
  });

  it("a synced passkey (backed up) signs in as swk", async () => {
    const { authenticator } = await withPasskey(device({ synced: true }));
    const done = await post("/login/passkey", { response: await authenticator.assert(await loginOptions()) });
    expect(decodeJwt(done.body.access_token).amr).toEqual(["swk", "user", "mfa"]);
  });

  it("refuses a replayed assertion; of 5 concurrent uses of one, exactly one signs in", async () => {
    const { authenticator } = await withPasskey();
    const assertion = await authenticator.assert(await loginOptions());
    expect((await post("/login/passkey", { response: assertion })).status).toBe(200);
    const replayed = await post("/login/passkey", { response: assertion });
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe("INVALID_PASSKEY");

    const racing = await authenticator.assert(await loginOptions());
    const answers = await Promise.all(Array.from({ length: 5 }, () => post("/login/passkey", { response: racing })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401, 401, 401]);
  });

  it("refuses a wrong origin and a wrong RP ID, at registration and at login", async () => {
    const email = uniqueEmail("origin");
    await register(email);
    const token = (await login(email)).access_token;
    const authenticator = device();
    for (const overrides of [{ origin: "https://evil.example" }, { rpId: "evil.example" }]) {
      const refused = await post("/me/passkeys", { response: await authenticator.register(await registrationOptions(token), overrides) }, token);
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe("PASSKEY_REGISTRATION_FAILED");
    }
    expect((await client.request("GET", "/me/passkeys", { token })).body.items).toEqual([]);

    const { authenticator: good } = await withPasskey();
    const wrongOrigin = await post("/login/passkey", { response: await good.assert(await loginOptions(), { origin: "http://localhost:9999" }) });
    expect(wrongOrigin.status).toBe(401);
    expect(wrongOrigin.body.detail).toMatch(/origin/);
    const wrongRpId = await post("/login/passkey", { response: await good.assert(await loginOptions(), { rpId: "example.com" }) });
    expect(wrongRpId.status).toBe(401);
    expect(wrongRpId.body.detail).toMatch(/RP ID/);
  });

  it("refuses a cloned authenticator (its counter goes back) and records it; the original still signs in", async () => {
    const { authenticator, token } = await withPasskey();
    const clone = authenticator.clone();
    expect((await post("/login/passkey", { response: await authenticator.assert(await loginOptions()) })).status).toBe(200);
    // The clone's counter is behind the original's: the same value again.
    const cloned = await post("/login/passkey", { response: await clone.assert(await loginOptions()) });
    expect(cloned.status).toBe(401);
    expect(cloned.body.detail).toMatch(/counter/);
    expect((await events(token)).map((event) => event.type)).toContain("passkey_clone_suspected");
    expect((await post("/login/passkey", { response: await authenticator.assert(await loginOptions()) })).status).toBe(200);
  });

  it("refuses a challenge of another ceremony, or of a login bound to another account's email", async () => {
    const { email, token, authenticator } = await withPasskey();
    // A registration challenge answered as a login, and a login challenge as a registration.
    const registration = await registrationOptions(token);
    expect((await post("/login/passkey", { response: await authenticator.assert({ challenge: registration.challenge }) })).status).toBe(401);
    const asLogin = await loginOptions();
    expect((await post("/me/passkeys", { response: await device().register({ challenge: asLogin.challenge, user: { id: registration.user.id } }) }, token)).status).toBe(400);
    // The registration challenge is still good for its own ceremony.
    expect((await post("/me/passkeys", { response: await device().register(registration) }, token)).status).toBe(201);
    // Bound to another account's email: refused.
    const other = await withPasskey();
    expect((await post("/login/passkey", { response: await other.authenticator.assert(await loginOptions(email)) })).status).toBe(401);
    expect((await post("/login/passkey", { response: await other.authenticator.assert(await loginOptions(other.email)) })).status).toBe(200);
  });

  it("answers an unknown email's login options in the same shape as a known one's", async () => {
    const { email } = await withPasskey();
    const known = await loginOptions(email);
    const unknown = await loginOptions(uniqueEmail("nobody"));
    const shape = (options: Record<string, unknown>) => Object.keys(options).sort();
    expect(shape(unknown)).toEqual(shape(known));
    expect({ ...unknown, challenge: "" }).toEqual({ ...known, challenge: "" });
  });

  it("a passwordless login needs user verification", async () => {
    const { authenticator } = await withPasskey(device({ userVerification: false }));
    const refused = await post("/login/passkey", { response: await authenticator.assert(await loginOptions()) });
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/verify the user/);
  });

  it("is the second step after a password when TOTP is enabled: amr [pwd, hwk, mfa]; without TOTP the password alone signs in", async () => {
    const { email, token, authenticator } = await withPasskey(device({ userVerification: false }));
    // Passkeys but no TOTP: the password alone.
    expect((await post("/login", { email, password: PASSWORD })).body.access_token).toEqual(expect.any(String));

    const begun = await post("/me/mfa/totp", { password: PASSWORD }, token);
    const code = totpApp(begun.body.secret, testApp.clock);
    expect((await post("/me/mfa/totp/confirm", { code: code() }, token)).status).toBe(200);
    testApp.clock.advance(30);

    const first = await post("/login", { email, password: PASSWORD });
    expect(first.body).toEqual({ mfa_required: true, mfa_token: expect.any(String), mfa_methods: ["totp", "recovery_code", "passkey"] });
    const options = await post("/login/mfa/passkey/options", { mfa_token: first.body.mfa_token });
    expect(options.status).toBe(200);
    expect(options.body).toMatchObject({ userVerification: "discouraged", allowCredentials: [{ id: expect.any(String), type: "public-key", transports: ["internal"] }] });
    challenges.push(options.body.challenge);

    // A challenge of another mfa_token, and a passwordless login's, do not complete this one.
    const second = await post("/login", { email, password: PASSWORD });
    const foreign = await post("/login/mfa/passkey/options", { mfa_token: second.body.mfa_token });
    expect((await post("/login/mfa", { mfa_token: first.body.mfa_token, passkey: await authenticator.assert(foreign.body) })).body.code).toBe("INVALID_PASSKEY");
    expect((await post("/login/mfa", { mfa_token: first.body.mfa_token, passkey: await authenticator.assert(await loginOptions()) })).body.code).toBe("INVALID_PASSKEY");

    const done = await post("/login/mfa", { mfa_token: first.body.mfa_token, passkey: await authenticator.assert(options.body) });
    expect(done.status).toBe(200);
    expect(decodeJwt(done.body.access_token).amr).toEqual(["pwd", "hwk", "mfa"]);
    expect((await post("/login/mfa/passkey/options", { mfa_token: first.body.mfa_token })).body.code).toBe("INVALID_MFA_TOKEN");
    expect((await events(token)).filter((event) => event.type === "mfa_challenge_failed").map((event) => event.details?.method)).toEqual(["passkey", "passkey"]);
  });

  it("removing a passkey needs the password, and with TOTP a code; other sessions end", async () => {
    const { email, token, passkey } = await withPasskey();
    const other = await login(email);
    const remove = (body: unknown, id = passkey.id) => client.request("DELETE", `/me/passkeys/${id}`, { json: body, token });
    expect((await remove({})).status).toBe(400);
    expect((await remove({ password: "wrong password" })).body.code).toBe("WRONG_PASSWORD");
    expect((await remove({ password: PASSWORD }, "0193c1d2-8e4f-7a6b-9c0d-1e2f3a4b5c6d")).status).toBe(404);
    expect((await client.request("DELETE", "/me/passkeys/not-a-uuid", { json: { password: PASSWORD }, token })).status).toBe(400);

    const begun = await post("/me/mfa/totp", { password: PASSWORD }, token);
    const code = totpApp(begun.body.secret, testApp.clock);
    const confirmed = await post("/me/mfa/totp/confirm", { code: code() }, token);
    testApp.clock.advance(30);
    expect((await remove({ password: PASSWORD })).body.code).toBe("MFA_CODE_REQUIRED");
    expect((await remove({ password: PASSWORD, code: "000000" })).body.code).toBe("INVALID_MFA_CODE");
    // Someone else cannot remove it even with their own password and code.
    const stranger = await withPasskey();
    expect((await client.request("DELETE", `/me/passkeys/${passkey.id}`, { json: { password: PASSWORD }, token: stranger.token })).status).toBe(404);

    expect((await remove({ password: PASSWORD, recovery_code: confirmed.body.recovery_codes[0] })).status).toBe(204);
    expect((await client.request("GET", "/me/passkeys", { token })).body.items).toEqual([]);
    expect((await client.request("GET", "/me", { token: other.access_token })).status).toBe(401);
    expect((await events(token)).map((event) => event.type)).toEqual(expect.arrayContaining(["passkey_removed", "recovery_code_used"]));
  });

  it("an admin's DELETE /admin/users/{id}/mfa removes the passkeys too, recorded naming the admin", async () => {
    const { email, user, token, authenticator } = await withPasskey();
    const adminEmail = uniqueEmail("passkey-admin");
    const admin = await register(adminEmail);
    await testApp.deps.users.update(admin.id, { roles: ["user", "admin"] });
    const adminToken = (await login(adminEmail)).access_token;
    expect((await client.request("DELETE", `/admin/users/${user.id}/mfa`, { token: adminToken })).status).toBe(204);
    expect((await client.request("GET", "/me/passkeys", { token })).body.items).toEqual([]);
    expect((await client.request("GET", "/me/mfa", { token })).body.passkeys).toBe(0);
    const signIn = await post("/login/passkey", { response: await authenticator.assert(await loginOptions(email)) });
    expect(signIn.status).toBe(401);
    expect(await events(token)).toEqual(expect.arrayContaining([expect.objectContaining({ type: "passkey_removed", actor_id: admin.id })]));
  });

  it("answers well-shaped responses with garbage inside with a 4xx problem, never a 5xx", async () => {
    const { token, authenticator } = await withPasskey();
    const b64 = (text: string) => Buffer.from(text).toString("base64url");
    const registration = await authenticator.register(await registrationOptions(token));
    const assertion = await authenticator.assert(await loginOptions());
    const clientDatas = [b64("not json"), b64("null"), b64('{"challenge":42}'), b64(JSON.stringify({ challenge: "x".repeat(200) })), "AA"];
    for (const clientDataJSON of clientDatas) {
      for (const answer of [
        await post("/me/passkeys", { response: { ...registration, response: { ...registration.response, clientDataJSON } } }, token),
        await post("/login/passkey", { response: { ...assertion, response: { ...assertion.response, clientDataJSON } } }),
      ]) {
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
      }
    }
    // A live challenge, and garbage where the attestation, the authenticator data or the signature goes.
    const fresh = await authenticator.register(await registrationOptions(token));
    expect((await post("/me/passkeys", { response: { ...fresh, response: { ...fresh.response, attestationObject: b64("\u00ff garbage") } } }, token)).status).toBe(400);
    for (const part of [{ authenticatorData: "AAAA" }, { signature: "AAAA" }, { userHandle: "AAAA" }]) {
      const live = await authenticator.assert(await loginOptions());
      expect((await post("/login/passkey", { response: { ...live, response: { ...live.response, ...part } } })).status).toBe(401);
    }
    const unknown = await authenticator.assert(await loginOptions());
    expect((await post("/login/passkey", { response: { ...unknown, id: "AAAA", rawId: "AAAA" } })).status).toBe(401);
  });

  it("leaves no challenge in the database: a dump answers no ceremony", async () => {
    await withPasskey();
    await loginOptions();
    const dump = await dumpDatabase(testApp.database.db);
    expect(dump).toContain("passkey_challenges");
    for (const challenge of challenges) expect(dump).not.toContain(challenge);
  });
});

describeEachBackend("wrong passkey assertions and the failed-login budget", (backend: BackendName) => {
  let testApp: TestApp;
  let client: TestClient;
  const { register, login } = flows(() => client);

  beforeAll(async () => {
    testApp = await createTestApp({ backend, env: { LOGIN_THROTTLE: "3/15m", LOGIN_THROTTLE_ACCOUNT_CAP: "50/15m" } });
    client = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  it("count like wrong passwords: past the budget, 429 for passkeys and passwords alike, and recorded", async () => {
    const email = uniqueEmail("budget");
    await register(email);
    const token = (await login(email)).access_token;
    const authenticator = createSoftwareAuthenticator({ origin: testApp.config.webauthn.origins[0]!, rpId: testApp.config.webauthn.rpId });
    const options = await client.request("POST", "/me/passkeys/options", { token });
    expect((await client.request("POST", "/me/passkeys", { json: { response: await authenticator.register(options.body) }, token })).status).toBe(201);
    const newOptions = async () => (await client.request("POST", "/login/passkey/options", { json: {} })).body;

    for (let attempt = 0; attempt < 3; attempt++) {
      const wrong = await client.request("POST", "/login/passkey", { json: { response: await authenticator.assert(await newOptions(), { origin: "https://evil.example" }) } });
      expect(wrong.status).toBe(401);
    }
    const refused = await client.request("POST", "/login/passkey", { json: { response: await authenticator.assert(await newOptions()) } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect((await client.request("POST", "/login", { json: { email, password: PASSWORD } })).status).toBe(429);
    const events = (await client.request("GET", "/me/events", { token })).body.items as Array<{ type: string }>;
    expect(events.filter((event) => event.type === "mfa_challenge_failed")).toHaveLength(3);
  });
});
