import { afterAll, beforeAll, expect, it } from "vitest";
import * as oidc from "openid-client";
import { describeEachBackend, flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { formFieldsOf, type BrowserResponse, type TestBrowser } from "../helpers/browser.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { authenticator as totpApp } from "../mfa/support.js";
import { createSoftwareAuthenticator } from "../passkeys/software-authenticator.js";
import { REDIRECT_URI, registerClient, relyingParty, startAuthorization, testBrowser, type AuthorizationStart } from "./support.js";

/**
 * The hosted sign-in page beyond the password, with openid-client as the relying party: an account
 * with TOTP (the password, then the second-factor form; a wrong code is refused, recorded and counted
 * against the mfa_token; the right one completes the authorization) and a passkey (the page's two
 * JSON calls, answered by the software authenticator of test/passkeys/). The ID token's amr says how
 * the user signed in.
 */
const SECOND_FACTOR_ACTION = "/oauth/sign-in/second-factor";

describeEachBackend("hosted sign-in with a second factor or a passkey", (backend: BackendName) => {
  let testApp: TestApp;
  let api: TestClient;
  const { register, login } = flows(() => api);

  beforeAll(async () => {
    testApp = await createTestApp({ backend });
    api = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  const post = (path: string, json: unknown, token: string) => api.request("POST", path, { ...(json !== undefined && { json }), token });
  const origin = () => new URL(testApp.config.jwt.issuer).origin;

  async function withTotp() {
    const email = uniqueEmail("oauth-totp");
    const user = await register(email);
    const token = (await login(email)).access_token;
    const begun = await post("/me/mfa/totp", { password: PASSWORD }, token);
    expect(begun.status).toBe(200);
    const code = totpApp(begun.body.secret, testApp.clock);
    expect((await post("/me/mfa/totp/confirm", { code: code() }, token)).status).toBe(200);
    // The confirmation spent this step's code.
    testApp.clock.advance(30);
    // A code that no step the service accepts around now (one step either side) gives.
    const wrong = ["000000", "111111", "222222", "333333"].find((candidate) => ![code(-1), code(), code(1)].includes(candidate))!;
    return { email, user, token, code, wrong };
  }

  async function authorization() {
    const { client, clientSecret } = await registerClient(testApp);
    const config = await relyingParty(testApp, client.id, clientSecret);
    const start = await startAuthorization(config);
    return { client, config, start, browser: testBrowser(testApp) };
  }

  /** The authorization URL opened, then the password posted: the page that comes next. */
  async function passwordStep(browser: TestBrowser, start: AuthorizationStart, email: string) {
    const signIn = await browser.follow(await browser.get(start.url.href), origin());
    expect(signIn.status).toBe(200);
    return browser.follow(await browser.submit("/oauth/sign-in", { ...formFieldsOf(signIn.text, "/oauth/sign-in"), email, password: PASSWORD }), origin());
  }

  const submitCode = async (browser: TestBrowser, page: BrowserResponse, code: string) =>
    browser.follow(await browser.submit(SECOND_FACTOR_ACTION, { ...formFieldsOf(page.text, SECOND_FACTOR_ACTION), code }), origin());

  const codeGrant = (config: oidc.Configuration, callback: BrowserResponse, start: AuthorizationStart) =>
    oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });

  it("TOTP: the password leads to the code form; a wrong code is refused and recorded, the right one completes the authorization (amr pwd otp mfa)", async () => {
    const { email, user, token, code, wrong } = await withTotp();
    const { client, config, start, browser } = await authorization();

    const secondFactor = await passwordStep(browser, start, email);
    expect(secondFactor.status).toBe(200);
    expect(secondFactor.text).toContain(`action="${SECOND_FACTOR_ACTION}"`);
    expect(secondFactor.text).toContain('<label for="code">');
    // No session and no code for the client yet: the browser is still on the provider's pages.
    expect(secondFactor.location).toBeNull();
    expect(browser.cookie("session")).toBeUndefined();

    const right = code();
    const refused = await submitCode(browser, secondFactor, wrong);
    expect(refused.status).toBe(403);
    expect(refused.location).toBeNull();
    expect(refused.text).toMatch(/role="alert"[^>]*>[^<]*That code is wrong or was already used\./);
    expect(refused.text).toContain('aria-invalid="true"');
    expect(browser.cookie("session")).toBeUndefined();
    const events = (await api.request("GET", "/me/events", { token })).body.items as Array<{ type: string; details: Record<string, unknown> | null }>;
    expect(events.filter((event) => event.type === "mfa_challenge_failed")).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ during: "login", method: "totp", mfa_token_ended: false }) }),
    ]);

    const callback = await submitCode(browser, refused, right);
    expect(callback.status).toBe(303);
    expect(callback.location?.startsWith(REDIRECT_URI)).toBe(true);
    expect(browser.cookie("session")).toBeDefined();
    const tokens = await codeGrant(config, callback, start);
    expect(tokens.claims()).toMatchObject({ sub: user.id, aud: client.id, nonce: start.nonce, amr: ["pwd", "otp", "mfa"], acr: "urn:auth-service:acr:mfa", email });
    expect((await api.request("GET", "/me", { token: tokens.access_token })).body.email).toBe(email);
  });

  it("TOTP: the fifth wrong code ends the sign-in attempt; the right code then sends the user back to the password", async () => {
    const { email, code, wrong } = await withTotp();
    const { start, browser } = await authorization();
    let page = await passwordStep(browser, start, email);
    for (let attempt = 0; attempt < 5; attempt++) {
      page = await submitCode(browser, page, wrong);
      expect(page.status).toBe(403);
    }
    const ended = await submitCode(browser, page, code());
    expect(ended.status).toBe(401);
    expect(ended.text).toContain('action="/oauth/sign-in"');
    expect(ended.text).toContain("This sign-in took too long or had too many wrong codes. Sign in again.");
    expect(browser.cookie("session")).toBeUndefined();

    // A new password step gets a new form, and the code completes it.
    const again = await browser.follow(await browser.submit("/oauth/sign-in", { ...formFieldsOf(ended.text, "/oauth/sign-in"), email, password: PASSWORD }), origin());
    const callback = await submitCode(browser, again, code());
    expect(callback.status).toBe(303);
    expect(callback.location?.startsWith(REDIRECT_URI)).toBe(true);
  });

  it("passkey: the sign-in page's two JSON calls with a software authenticator complete the authorization (amr hwk user mfa); a replayed assertion is refused", async () => {
    const email = uniqueEmail("oauth-passkey");
    const user = await register(email);
    const token = (await login(email)).access_token;
    const device = createSoftwareAuthenticator({ origin: testApp.config.webauthn.origins[0]!, rpId: testApp.config.webauthn.rpId });
    const creation = await post("/me/passkeys/options", undefined, token);
    expect(creation.status).toBe(200);
    expect((await post("/me/passkeys", { name: "Laptop", response: await device.register(creation.body) }, token)).status).toBe(201);

    const { client, config, start, browser } = await authorization();
    const signIn = await browser.follow(await browser.get(start.url.href), origin());
    expect(signIn.status).toBe(200);
    expect(signIn.text).toContain('id="passkey-button"');
    // What the page's script sends: the form's hidden fields (the request id and the CSRF token) as JSON.
    const fields = formFieldsOf(signIn.text, "/oauth/sign-in");
    expect(Object.keys(fields).sort()).toEqual(["csrf_token", "request"]);

    const options = await browser.postJson("/oauth/sign-in/passkey/options", fields);
    expect(options.status).toBe(200);
    const requestOptions = JSON.parse(options.text).options;
    expect(requestOptions).toMatchObject({ rpId: testApp.config.webauthn.rpId, userVerification: "required", challenge: expect.any(String) });
    // Without the CSRF token, no ceremony starts.
    expect((await browser.postJson("/oauth/sign-in/passkey/options", { request: fields.request })).status).toBe(403);

    const assertion = await device.assert(requestOptions);
    const done = await browser.postJson("/oauth/sign-in/passkey", { ...fields, response: assertion });
    expect(done.status).toBe(200);
    const { location } = JSON.parse(done.text) as { location: string };
    expect(location.startsWith(REDIRECT_URI)).toBe(true);
    expect(browser.cookie("session")).toBeDefined();

    const tokens = await codeGrant(config, { status: 303, headers: new Headers(), text: "", location }, start);
    expect(tokens.claims()).toMatchObject({ sub: user.id, aud: client.id, nonce: start.nonce, amr: ["hwk", "user", "mfa"], acr: "urn:auth-service:acr:mfa", email });
    expect((await api.request("GET", "/me", { token: tokens.access_token })).body.email).toBe(email);

    // The same assertion again, in a new authorization: refused (its challenge was spent).
    const second = await authorization();
    const secondPage = await second.browser.follow(await second.browser.get(second.start.url.href), origin());
    const replay = await second.browser.postJson("/oauth/sign-in/passkey", { ...formFieldsOf(secondPage.text, "/oauth/sign-in"), response: assertion });
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.text)).toEqual({ error: "refused" });
    expect(second.browser.cookie("session")).toBeUndefined();
  });
});
