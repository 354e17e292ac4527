import { afterAll, beforeAll, expect, it } from "vitest";
import * as oidc from "openid-client";
import { describeEachBackend, flows, uniqueEmail } from "../helpers/flows.js";
import { formFieldsOf } from "../helpers/browser.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { POST_LOGOUT_URI, REDIRECT_URI, registerClient, relyingParty, signInThroughPages, startAuthorization, testBrowser } from "./support.js";

/** The attacks of issue 15 against the provider, each refused; openid-client is the honest relying party. */
describeEachBackend("OAuth provider attacks", (backend: BackendName) => {
  let testApp: TestApp;
  let api: TestClient;
  const { register, login: logIn } = flows(() => api);

  beforeAll(async () => {
    testApp = await createTestApp({ backend });
    api = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  async function setup() {
    const email = uniqueEmail("oauth-attack");
    await register(email);
    const { client, clientSecret } = await registerClient(testApp);
    const config = await relyingParty(testApp, client.id, clientSecret);
    return { email, client, clientSecret, config, browser: testBrowser(testApp) };
  }

  const authorizePath = (url: URL, changes: Record<string, string | null>) => {
    const copy = new URL(url);
    for (const [name, value] of Object.entries(changes)) value === null ? copy.searchParams.delete(name) : copy.searchParams.set(name, value);
    return `${copy.pathname}${copy.search}`;
  };

  it("a wrong or prefix-matched redirect URI gets an error page, never a redirect", async () => {
    const { config, browser } = await setup();
    const { url } = await startAuthorization(config);
    for (const redirect of ["https://evil.example/callback", `${REDIRECT_URI}/../evil`, `${REDIRECT_URI}x`, `${REDIRECT_URI}?next=evil`]) {
      const response = await browser.get(authorizePath(url, { redirect_uri: redirect }));
      expect(response.status, redirect).toBe(400);
      expect(response.location, redirect).toBeNull();
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    }
  });

  it("a missing or plain PKCE challenge is refused by redirect, with state and iss", async () => {
    const { config, browser } = await setup();
    const { url, state } = await startAuthorization(config);
    const attempts: Array<Record<string, string | null>> = [{ code_challenge: null, code_challenge_method: null }, { code_challenge_method: "plain" }];
    for (const changes of attempts) {
      const response = await browser.get(authorizePath(url, changes));
      expect(response.status).toBe(303);
      const location = new URL(response.location!);
      expect(location.origin + location.pathname).toBe(REDIRECT_URI);
      expect(Object.fromEntries(location.searchParams)).toMatchObject({ error: "invalid_request", state, iss: testApp.config.jwt.issuer });
    }
  });

  it("a wrong verifier, a reused code (which revokes the first exchange's grant) and an expired code are refused", async () => {
    const { email, config, browser } = await setup();
    const start = await startAuthorization(config);
    const callback = new URL((await signInThroughPages(browser, testApp, start.url, email)).location!);
    await expect(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: start.state, expectedNonce: start.nonce })).rejects.toMatchObject({ error: "invalid_grant" });

    const second = await startAuthorization(config);
    const secondCallback = new URL((await signInThroughPages(browser, testApp, second.url, email)).location!);
    const tokens = await oidc.authorizationCodeGrant(config, secondCallback, { pkceCodeVerifier: second.verifier, expectedState: second.state, expectedNonce: second.nonce });
    await expect(oidc.authorizationCodeGrant(config, secondCallback, { pkceCodeVerifier: second.verifier, expectedState: second.state, expectedNonce: second.nonce })).rejects.toMatchObject({ error: "invalid_grant" });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
    expect((await api.request("GET", "/me", { token: tokens.access_token })).status).toBe(401);

    const third = await startAuthorization(config);
    const thirdCallback = new URL((await signInThroughPages(browser, testApp, third.url, email)).location!);
    testApp.clock.advance(61);
    await expect(oidc.authorizationCodeGrant(config, thirdCallback, { pkceCodeVerifier: third.verifier, expectedState: third.state, expectedNonce: third.nonce })).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("a code is refused to another client, and a wrong client secret is invalid_client", async () => {
    const { email, config, browser } = await setup();
    const start = await startAuthorization(config);
    const callback = new URL((await signInThroughPages(browser, testApp, start.url, email)).location!);
    const other = await registerClient(testApp);
    const otherConfig = await relyingParty(testApp, other.client.id, other.clientSecret);
    await expect(oidc.authorizationCodeGrant(otherConfig, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce })).rejects.toMatchObject({ error: "invalid_grant" });
    const wrongSecret = await relyingParty(testApp, other.client.id, "not-the-secret");
    // RFC 6749 §5.2: a failed HTTP Basic authentication is a 401 with a Basic challenge (openid-client surfaces the challenge).
    await expect(oidc.clientCredentialsGrant(wrongSecret, {})).rejects.toMatchObject({ status: 401, cause: [{ scheme: "basic" }] });
  });

  it("a public client is refused at introspection", async () => {
    const { client } = await registerClient(testApp, { type: "public", firstParty: true });
    const config = await relyingParty(testApp, client.id);
    await expect(oidc.tokenIntrospection(config, "anything")).rejects.toMatchObject({ error: "invalid_client" });
  });

  it("prompt=none without a session answers login_required by redirect", async () => {
    const { config, browser } = await setup();
    const { url, state } = await startAuthorization(config, { prompt: "none" });
    const response = await browser.get(`${url.pathname}${url.search}`);
    expect(response.status).toBe(303);
    expect(Object.fromEntries(new URL(response.location!).searchParams)).toMatchObject({ error: "login_required", state });
  });

  it("the sign-in form refuses a post without the browser's CSRF cookie (login CSRF) and signs no one in", async () => {
    const { email, config, browser } = await setup();
    const { url } = await startAuthorization(config);
    const page = await browser.follow(await browser.get(`${url.pathname}${url.search}`), new URL(testApp.config.jwt.issuer).origin);
    const fields = formFieldsOf(page.text, "/oauth/sign-in");
    const attacker = testBrowser(testApp); // another browser: no CSRF cookie of the victim's
    const response = await attacker.submit("/oauth/sign-in", { ...fields, email, password: "correct horse battery staple" });
    expect(response.status).toBe(403);
    expect(attacker.cookie("session")).toBeUndefined();
    expect((await attacker.submit("/oauth/sign-in", { ...fields, csrf_token: "x".repeat(43), email, password: "correct horse battery staple" })).status).toBe(403);
  });

  it("signs in once: a second client's authorization completes without a password (single sign-on), unless prompt=login", async () => {
    const { email, config, browser } = await setup();
    await signInThroughPages(browser, testApp, (await startAuthorization(config)).url, email);
    const other = await registerClient(testApp);
    const otherConfig = await relyingParty(testApp, other.client.id, other.clientSecret);
    const sso = await startAuthorization(otherConfig);
    const response = await browser.get(`${sso.url.pathname}${sso.url.search}`);
    expect(response.status).toBe(303);
    expect(new URL(response.location!).searchParams.get("code")).toBeTruthy();
    const forced = await startAuthorization(otherConfig, { prompt: "login" });
    const again = await browser.get(`${forced.url.pathname}${forced.url.search}`);
    expect(new URL(again.location!).pathname).toBe("/oauth/sign-in");
  });

  it("RP-initiated logout never redirects to an unregistered post_logout_redirect_uri, and ends the browser session", async () => {
    const { email, client, config, browser } = await setup();
    const start = await startAuthorization(config);
    const callback = new URL((await signInThroughPages(browser, testApp, start.url, email)).location!);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const evil = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: "https://evil.example/" });
    const refused = await browser.get(`${evil.pathname}${evil.search}`);
    expect(refused.status).toBe(400);
    expect(refused.location).toBeNull();

    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: "after-logout" });
    const confirm = await browser.get(`${logout.pathname}${logout.search}`);
    expect(confirm.status).toBe(200);
    const fields = formFieldsOf(confirm.text, "/oauth/logout");
    const done = await browser.submit("/oauth/logout", { ...fields, decision: "confirm" });
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${POST_LOGOUT_URI}?state=after-logout`);
    // Signed out: the next authorization asks for the password again.
    const next = await startAuthorization(config);
    expect(new URL((await browser.get(`${next.url.pathname}${next.url.search}`)).location!).pathname).toBe("/oauth/sign-in");
    expect(client.postLogoutRedirectUris).toEqual([POST_LOGOUT_URI]);
  });

  it("client credentials: a machine token whose subject is the client, with no refresh token", async () => {
    const { client, clientSecret } = await registerClient(testApp, { grantTypes: ["client_credentials"], scopes: ["reports:read"], redirectUris: [], firstParty: false });
    const config = await relyingParty(testApp, client.id, clientSecret);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: "reports:read" });
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBe("reports:read");
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, sub: client.id, client_id: client.id });
    // Not a user's token: the service's own API refuses it.
    expect((await api.request("GET", "/me", { token: tokens.access_token })).status).toBe(401);
  });
  it("keeps the two kinds of refresh token apart: /login's at /oauth/token and a grant's at /refresh are refused, and nothing is spent", async () => {
    const { email, config, browser } = await setup();
    const start = await startAuthorization(config);
    const callback = await signInThroughPages(browser, testApp, start.url, email);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const login = (await logIn(email)).refresh_token;
    for (const presented of [login, `rt.${login}`]) {
      await expect(oidc.refreshTokenGrant(config, presented), presented.slice(0, 3)).rejects.toMatchObject({ error: "invalid_grant" });
    }
    for (const presented of [tokens.refresh_token!, tokens.refresh_token!.slice(3)]) {
      expect((await api.request("POST", "/refresh", { json: { refresh_token: presented } })).status).toBe(401);
    }
    // Both still work where they belong.
    expect((await api.request("POST", "/refresh", { json: { refresh_token: login } })).status).toBe(200);
    expect((await oidc.refreshTokenGrant(config, tokens.refresh_token!)).refresh_token).toMatch(/^rt\./);
  });
});
