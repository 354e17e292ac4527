/**
 * Enrolling TOTP and the MFA login on Bun: a real Bun.serve listener, codes made with otpauth from
 * the app's test clock; run by `npx bun test ./test/bun/` (with TEST_DATABASE_URL and TEST_REDIS_URL in CI).
 */
import { describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { authenticator } from "../mfa/support.js";
import { bunBackend, useBunApp } from "./bun-client.js";

describe(`MFA login on Bun.serve, ${bunBackend}`, () => {
  const bun = useBunApp();

  it("enrols TOTP, then signs in with password and code (amr pwd otp mfa) and once with a recovery code", async () => {
    const email = uniqueEmail("bun-mfa");
    const post = (path: string, json: unknown, token?: string) => bun.client().request("POST", path, { json, ...(token && { token }) });
    expect((await post("/register", { email, password: PASSWORD })).status).toBe(201);
    const token = (await post("/login", { email, password: PASSWORD })).body.access_token;
    const begun = await post("/me/mfa/totp", { password: PASSWORD }, token);
    expect(begun.status).toBe(200);
    const code = authenticator(begun.body.secret, bun.testApp().clock);
    const confirmed = await post("/me/mfa/totp/confirm", { code: code() }, token);
    expect(confirmed.body.recovery_codes).toHaveLength(10);
    bun.testApp().clock.advance(30);

    const first = await post("/login", { email, password: PASSWORD });
    expect(first.body).toMatchObject({ mfa_required: true, mfa_methods: ["totp", "recovery_code"] });
    const right = code();
    const done = await post("/login/mfa", { mfa_token: first.body.mfa_token, code: right });
    expect(done.status).toBe(200);
    expect(decodeJwt(done.body.access_token).amr).toEqual(["pwd", "otp", "mfa"]);
    const replay = await post("/login/mfa", { mfa_token: (await post("/login", { email, password: PASSWORD })).body.mfa_token, code: right });
    expect(replay.body.code).toBe("INVALID_MFA_CODE");

    const recovery = confirmed.body.recovery_codes[0];
    const withRecovery = await post("/login/mfa", { mfa_token: (await post("/login", { email, password: PASSWORD })).body.mfa_token, recovery_code: recovery });
    expect(withRecovery.status).toBe(200);
    expect(decodeJwt(withRecovery.body.access_token).amr).toEqual(["pwd", "mfa"]);
    const again = await post("/login/mfa", { mfa_token: (await post("/login", { email, password: PASSWORD })).body.mfa_token, recovery_code: recovery });
    expect(again.body.code).toBe("INVALID_MFA_CODE");
  }, 60_000);
});
