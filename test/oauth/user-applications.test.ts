import { afterAll, beforeAll, expect, it } from "vitest";
import * as oidc from "openid-client";
import { describeEachBackend, flows, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { basicAuth, postForm } from "./rules-support.js";
import { registerClient, relyingParty, signInThroughPages, startAuthorization, testBrowser } from "./support.js";

/**
 * What a user sees of the applications they signed in to, over the account API: their consents
 * (GET /me/consents), which session is which client's grant (GET /sessions), taking an application's
 * access back (DELETE /me/consents/{client_id}); and an admin deleting a client ending its grants.
 */
describeEachBackend("the user's applications: consents, grants in /sessions, revocation", (backend: BackendName) => {
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

  /** A user who signed in to a client through the hosted pages (consenting when it is a third party), and their own API token. */
  async function userOfClient(options: { firstParty: boolean; name?: string }) {
    const email = uniqueEmail("apps");
    const user = await register(email);
    const { client, clientSecret } = await registerClient(testApp, { firstParty: options.firstParty, name: options.name ?? "Partner dashboard" });
    const config = await relyingParty(testApp, client.id, clientSecret);
    const browser = testBrowser(testApp);
    const start = await startAuthorization(config);
    const callback = await signInThroughPages(browser, testApp, start.url, email);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const own = await login(email);
    return { email, user, client, secret: clientSecret, config, browser, tokens, own };
  }

  it("lists a third-party client's consent with its name and scopes, and names the client on its session", async () => {
    const { client, tokens, own } = await userOfClient({ firstParty: false, name: "Partner dashboard" });
    const consents = await api.request("GET", "/me/consents", { token: own.access_token });
    expect(consents.status).toBe(200);
    expect(consents.body).toEqual([
      { client: { id: client.id, name: "Partner dashboard" }, scopes: ["openid", "email", "profile", "offline_access"], granted_at: expect.any(String) },
    ]);
    const sessions = await api.request("GET", "/sessions", { token: own.access_token });
    // Three: this API login (current), the hosted pages' browser session (single sign-on), and the client's grant.
    const byClient = (sessions.body as Array<{ current: boolean; client: unknown; id: string }>).map(({ current, client }) => ({ current, client }));
    expect(byClient).toHaveLength(3);
    expect(byClient).toEqual(expect.arrayContaining([{ current: true, client: null }, { current: false, client: null }, { current: false, client: { id: client.id, name: "Partner dashboard" } }]));
    // The grant's own access token sees the same list, with its session as the current one.
    const fromGrant = await api.request("GET", "/sessions", { token: tokens.access_token });
    expect((fromGrant.body as Array<{ current: boolean; client: unknown }>).find((session) => session.current)?.client).toEqual({ id: client.id, name: "Partner dashboard" });
  });

  it("a first-party client asks no consent, so none is listed, but its session names it", async () => {
    const { client, own } = await userOfClient({ firstParty: true, name: "Our web app" });
    expect((await api.request("GET", "/me/consents", { token: own.access_token })).body).toEqual([]);
    const sessions = (await api.request("GET", "/sessions", { token: own.access_token })).body as Array<{ client: unknown }>;
    expect(sessions.map((session) => session.client)).toContainEqual({ id: client.id, name: "Our web app" });
  });

  it("revoking a consent ends the client's tokens at once and the next authorization asks again", async () => {
    const { email, client, config, browser, tokens, own } = await userOfClient({ firstParty: false });
    const revoked = await api.request("DELETE", `/me/consents/${client.id}`, { token: own.access_token });
    expect(revoked.status).toBe(204);
    expect((await api.request("GET", "/me", { token: tokens.access_token })).status).toBe(401);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
    expect((await api.request("GET", "/me/consents", { token: own.access_token })).body).toEqual([]);
    const sessions = (await api.request("GET", "/sessions", { token: own.access_token })).body as Array<{ client: unknown }>;
    expect(sessions.map((session) => session.client)).toEqual([null, null]);
    // The user's own session is untouched, and the browser is still signed in: the consent page comes back.
    const again = await startAuthorization(config);
    const origin = new URL(testApp.config.jwt.issuer).origin;
    const page = await browser.follow(await browser.get(again.url.href), origin);
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/oauth/consent"');
    expect((await signInThroughPages(browser, testApp, again.url, email)).location).toContain("code=");
    // Recorded in the user's security trail.
    const events = ((await api.request("GET", "/me/events", { token: own.access_token })).body as { items: Array<{ type: string; details: unknown }> }).items;
    expect(events.find((event) => event.type === "oauth_consent_revoked")?.details).toEqual({ client_id: client.id, grants_ended: 1 });
  });

  it("revokes a first-party client's grants too, and answers 404 for a client given nothing or another user's", async () => {
    const { client, tokens, own } = await userOfClient({ firstParty: true });
    const other = await userOfClient({ firstParty: false });
    // Another user cannot touch this user's grant, and learns nothing: 404 as for any client never used.
    expect((await api.request("DELETE", `/me/consents/${client.id}`, { token: other.own.access_token })).status).toBe(404);
    expect((await api.request("GET", "/me", { token: tokens.access_token })).status).toBe(200);
    expect((await api.request("DELETE", `/me/consents/${client.id}`, { token: own.access_token })).status).toBe(204);
    expect((await api.request("GET", "/me", { token: tokens.access_token })).status).toBe(401);
    const twice = await api.request("DELETE", `/me/consents/${client.id}`, { token: own.access_token });
    expect(twice.status).toBe(404);
    expect(twice.headers.get("content-type")).toContain("application/problem+json");
    expect((await api.request("DELETE", "/me/consents/not a client id", { token: own.access_token })).status).toBe(400);
    expect((await api.request("GET", "/me/consents")).status).toBe(401);
  });

  it("an admin deleting a client ends every grant of it", async () => {
    const { client, secret, tokens, own } = await userOfClient({ firstParty: false });
    const admin = await userOfClient({ firstParty: true });
    await testApp.deps.users.update(admin.user.id, { roles: ["user", "admin"] });
    const adminToken = (await login(admin.email)).access_token;
    expect((await api.request("DELETE", `/admin/clients/${client.id}`, { token: adminToken })).status).toBe(204);
    expect((await api.request("GET", "/me", { token: tokens.access_token })).status).toBe(401);
    // The client itself is gone: its credentials are refused before the refresh token is looked at.
    const refreshed = await postForm(testApp, "/oauth/token", { grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, basicAuth(client.id, secret!));
    expect(refreshed.status).toBe(401);
    expect(refreshed.body).toMatchObject({ error: "invalid_client" });
    expect((await api.request("GET", "/me/consents", { token: own.access_token })).body).toEqual([]);
    expect(((await api.request("GET", "/sessions", { token: own.access_token })).body as Array<{ client: unknown }>).map((session) => session.client)).toEqual([null, null]);
  });
});
