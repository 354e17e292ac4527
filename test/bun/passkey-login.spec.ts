/**
 * Passkeys on Bun: a real Bun.serve listener, @simplewebauthn/server verifying on Bun's Web Crypto,
 * the software authenticator of test/passkeys/; run by `npx bun test ./test/bun/` (with
 * TEST_DATABASE_URL and TEST_REDIS_URL in CI).
 */
import { describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createSoftwareAuthenticator } from "../passkeys/software-authenticator.js";
import { bunBackend, useBunApp } from "./bun-client.js";

describe(`passkey login on Bun.serve, ${bunBackend}`, () => {
  const bun = useBunApp();

  it("registers a passkey, signs in with it alone (amr hwk user mfa), and refuses the same assertion again", async () => {
    const email = uniqueEmail("bun-passkey");
    const post = (path: string, json?: unknown, token?: string) => bun.client().request("POST", path, { ...(json !== undefined && { json }), ...(token && { token }) });
    expect((await post("/register", { email, password: PASSWORD })).status).toBe(201);
    const token = (await post("/login", { email, password: PASSWORD })).body.access_token;
    const authenticator = createSoftwareAuthenticator({ origin: bun.testApp().config.webauthn.origins[0]!, rpId: bun.testApp().config.webauthn.rpId });
    const options = await post("/me/passkeys/options", undefined, token);
    expect(options.status).toBe(200);
    expect((await post("/me/passkeys", { name: "Bun", response: await authenticator.register(options.body) }, token)).status).toBe(201);

    const assertion = await authenticator.assert((await post("/login/passkey/options", { email })).body);
    const done = await post("/login/passkey", { response: assertion });
    expect(done.status).toBe(200);
    expect(decodeJwt(done.body.access_token).amr).toEqual(["hwk", "user", "mfa"]);
    expect((await post("/login/passkey", { response: assertion })).body.code).toBe("INVALID_PASSKEY");
  }, 60_000);
});
