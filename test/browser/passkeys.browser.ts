import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, listen, type Listener, type TestApp } from "../helpers/test-app.js";

/**
 * Passkeys in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) with
 * the DevTools protocol's virtual authenticator (CTAP2, internal, resident keys, user verification):
 * a small page served by this test on http://localhost (not by the product) runs
 * navigator.credentials.create() and .get() with the service's JSON options, registers a passkey
 * and signs in with it alone, getting a TokenPair. The page and the service share one origin (the
 * test's listener hands every other path to the app), which is WEBAUTHN_ORIGINS; the RP ID is
 * localhost, the development default.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * The test page: its script only talks to the service and the WebAuthn API; the test drives it with
 * page.evaluate. parse*OptionsFromJSON and toJSON are WebAuthn Level 3, in Chromium since 129.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>passkey test page</title></head>
<body><h1>passkey test page</h1>
<script>
  async function call(path, body, token) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    const response = await fetch(path, { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  }
  window.registerPasskey = async (token) => {
    const options = await call("/me/passkeys/options", undefined, token);
    const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.body) });
    return call("/me/passkeys", { name: "Chromium", response: credential.toJSON() }, token);
  };
  window.signInWithPasskey = async () => {
    const options = await call("/login/passkey/options", {});
    const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.body) });
    return call("/login/passkey", { response: credential.toJSON() });
  };
</script></body></html>`;

describe("passkeys in headless Chromium with a virtual authenticator", () => {
  let browser: Browser;
  let listener: Listener;
  let testApp: TestApp | undefined;
  let origin: string;

  beforeAll(async () => {
    // The listener first (the origin needs its port), then the app configured for that origin.
    listener = await listen(async (request) => {
      if (new URL(request.url).pathname === "/passkey-test.html") return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
      if (!testApp) return new Response("starting", { status: 503 });
      return testApp.app.fetch(request);
    });
    origin = `http://localhost:${new URL(listener.baseUrl).port}`;
    testApp = await createTestApp({ env: { WEBAUTHN_ORIGINS: origin } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await listener?.close();
    await testApp?.cleanup();
  });

  it("registers a passkey on a page and signs in with it alone, getting a TokenPair", async () => {
    const email = uniqueEmail("chromium");
    const register = await testApp!.app.request("/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
    expect(register.status).toBe(201);
    const login = await testApp!.app.request("/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
    const { access_token: token } = (await login.json()) as { access_token: string };

    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable", { enableUI: false });
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.goto(`${origin}/passkey-test.html`);

    const registered = await page.evaluate("registerPasskey(" + JSON.stringify(token) + ")");
    expect(registered).toMatchObject({ status: 201, body: { name: "Chromium", last_used_at: null } });

    const signedIn = (await page.evaluate("signInWithPasskey()")) as { status: number; body: { access_token: string; refresh_token: string; token_type: string } };
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ token_type: "Bearer", refresh_token: expect.any(String) });
    expect(decodeJwt(signedIn.body.access_token)).toMatchObject({ amr: [expect.stringMatching(/^(hwk|swk)$/), "user", "mfa"] });

    const me = await testApp!.app.request("/me", { headers: { authorization: `Bearer ${signedIn.body.access_token}` } });
    expect(((await me.json()) as { email: string }).email).toBe(email);
    await context.close();
  }, 120_000);
});
