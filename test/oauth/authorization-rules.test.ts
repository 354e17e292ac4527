import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as oidc from "openid-client";
import { isResourceIndicator } from "../../src/oauth/authorization-request.js";
import { formFieldsOf } from "../helpers/browser.js";
import { PASSWORD } from "../helpers/flows.js";
import { createTestApp, type TestApp } from "../helpers/test-app.js";
import { REDIRECT_URI, registerClient, testBrowser } from "./support.js";
import { authorizationCode, registerUser } from "./rules-support.js";

/**
 * The authorization endpoint's checks, over HTTP as a browser sees them: which requests get an
 * error page (no redirect: unknown client or redirect URI), which an error by redirect (with state
 * and iss), and what a valid one carries on to the code. One backend (PGlite).
 */
describe("OAuth authorization request rules", () => {
  let testApp: TestApp;
  let challenge: string;
  beforeAll(async () => {
    testApp = await createTestApp();
    challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  const authorize = (query: URLSearchParams | Record<string, string>) => testApp.app.request(`/oauth/authorize?${new URLSearchParams(query)}`);
  const valid = (clientId: string): Record<string, string> => ({
    client_id: clientId,
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope: "openid email",
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: "st",
  });

  async function errorPage(query: URLSearchParams | Record<string, string>) {
    const response = await authorize(query);
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    return response.text();
  }

  async function redirectedError(query: URLSearchParams | Record<string, string>) {
    const response = await authorize(query);
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get("iss")).toBe(testApp.config.jwt.issuer);
    return Object.fromEntries(location.searchParams);
  }

  it("a valid request goes on to sign-in", async () => {
    const { client } = await registerClient(testApp);
    const response = await authorize(valid(client.id));
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get("location")!, testApp.config.jwt.issuer).pathname).toBe("/oauth/sign-in");
  });

  it("without a known client or a registered redirect URI: an error page, never a redirect", async () => {
    const { client } = await registerClient(testApp);
    const repeatedClient = new URLSearchParams(valid(client.id));
    repeatedClient.append("client_id", client.id);
    const repeatedRedirect = new URLSearchParams(valid(client.id));
    repeatedRedirect.append("redirect_uri", REDIRECT_URI);
    await errorPage(repeatedClient);
    await errorPage(repeatedRedirect);
    await errorPage({ ...valid(client.id), client_id: "" });
    await errorPage({ ...valid(client.id), client_id: "unknown" });
    await errorPage({ ...valid(client.id), client_id: "x".repeat(201) });
    await errorPage({ ...valid(client.id), redirect_uri: `${REDIRECT_URI}/x` });
    // Two registered: the redirect URI must be named.
    const two = await registerClient(testApp, { redirectUris: [REDIRECT_URI, "http://127.0.0.1:8765/other"] });
    const { redirect_uri: _, ...withoutRedirect } = valid(two.client.id);
    await errorPage(withoutRedirect);
  });

  it("with one registered redirect URI it may be left out", async () => {
    const { client } = await registerClient(testApp);
    const { redirect_uri: _, ...withoutRedirect } = valid(client.id);
    expect((await authorize({ ...withoutRedirect, response_type: "token" })).headers.get("location")).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?error=unsupported_response_type/);
  });

  it("every later error goes back to the client, with its state", async () => {
    const { client } = await registerClient(testApp);
    const base = valid(client.id);
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...base, response_type: "token" }, "unsupported_response_type"],
      [{ ...base, response_mode: "fragment" }, "invalid_request"],
      [{ ...base, request: "x" }, "invalid_request"],
      [{ ...base, request_uri: "urn:x" }, "invalid_request"],
      [{ ...base, code_challenge_method: "plain" }, "invalid_request"],
      [{ ...base, code_challenge: challenge.slice(1) }, "invalid_request"],
      [{ ...base, scope: "openid admin" }, "invalid_scope"],
      [{ ...base, scope: 'openid "' }, "invalid_scope"],
      [{ ...base, prompt: "select_account" }, "invalid_request"],
      [{ ...base, prompt: "none login" }, "invalid_request"],
      [{ ...base, max_age: "-1" }, "invalid_request"],
      [{ ...base, max_age: "1.5" }, "invalid_request"],
      [{ ...base, max_age: "1234567890" }, "invalid_request"],
      [{ ...base, resource: "/relative" }, "invalid_target"],
      [{ ...base, resource: "https://api.example/#x" }, "invalid_target"],
      [{ ...base, nonce: "n".repeat(2049) }, "invalid_request"],
    ];
    for (const [query, error] of cases) {
      expect(await redirectedError(query), JSON.stringify(query).slice(0, 120)).toMatchObject({ error, state: "st" });
    }
    const { response_type: _, ...noResponseType } = base;
    expect(await redirectedError(noResponseType)).toMatchObject({ error: "invalid_request", state: "st" });
    const { code_challenge: __, ...noChallenge } = base;
    expect(await redirectedError(noChallenge)).toMatchObject({ error: "invalid_request" });
    const repeated = new URLSearchParams(base);
    repeated.append("scope", "openid");
    expect(await redirectedError(repeated)).toMatchObject({ error: "invalid_request", error_description: "repeated parameters: scope" });
  });

  it("a state too long is an error, sent back without it; one at the limit is kept", async () => {
    const { client } = await registerClient(testApp);
    const long = await redirectedError({ ...valid(client.id), state: "s".repeat(2049), response_type: "token" });
    expect(long.error).toBe("invalid_request");
    expect(long.state).toBeUndefined();
    const limit = await redirectedError({ ...valid(client.id), state: "s".repeat(2048), response_type: "token" });
    expect(limit).toMatchObject({ error: "unsupported_response_type", state: "s".repeat(2048) });
  });

  it("a client without the code grant is unauthorized_client", async () => {
    const { client } = await registerClient(testApp, { grantTypes: ["client_credentials"], firstParty: false, scopes: ["openid", "email"] });
    expect(await redirectedError(valid(client.id))).toMatchObject({ error: "unauthorized_client" });
  });

  it("accepts prompt=login, prompt=consent, max_age and a resource", async () => {
    const { client } = await registerClient(testApp);
    const accepted: Array<Record<string, string>> = [{ prompt: "login consent" }, { prompt: " consent " }, { max_age: "0" }, { max_age: "999999999" }, { resource: "https://api.example/" }, { nonce: "n".repeat(2048) }];
    for (const extra of accepted) {
      const response = await authorize({ ...valid(client.id), ...extra });
      expect(new URL(response.headers.get("location")!, testApp.config.jwt.issuer).pathname, JSON.stringify(extra)).toBe("/oauth/sign-in");
    }
  });

  it("offline_access is dropped for a client that cannot refresh", async () => {
    const { client, clientSecret } = await registerClient(testApp, { grantTypes: ["authorization_code"] });
    const { email } = await registerUser(testApp);
    const { code, verifier } = await authorizationCode(testApp, client.id, email, { scope: "openid offline_access" });
    const response = await testApp.app.request("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${client.id}:${clientSecret}`)}` },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString(),
    });
    const body = (await response.json()) as { scope: string; refresh_token?: string };
    expect(body.scope).toBe("openid");
    expect(body.refresh_token).toBeUndefined();
  });

  describe("after sign-in", () => {
    it("the code comes back with state and iss; prompt=none with a session gets a code at once", async () => {
      const { client } = await registerClient(testApp);
      const { email } = await registerUser(testApp);
      const { browser } = await authorizationCode(testApp, client.id, email);
      const again = await browser.get(`/oauth/authorize?${new URLSearchParams({ ...valid(client.id), prompt: "none" })}`);
      expect(again.status).toBe(303);
      const params = new URL(again.location!).searchParams;
      expect(params.get("code")).toBeTruthy();
      expect(params.get("state")).toBe("st");
      expect(params.get("iss")).toBe(testApp.config.jwt.issuer);
    });

    it("max_age older than the sign-in asks again; prompt=none then says login_required", async () => {
      const { client } = await registerClient(testApp);
      const { email } = await registerUser(testApp);
      const { browser } = await authorizationCode(testApp, client.id, email);
      testApp.clock.advance(120);
      const fresh = await browser.get(`/oauth/authorize?${new URLSearchParams({ ...valid(client.id), max_age: "300" })}`);
      expect(new URL(fresh.location!).searchParams.get("code")).toBeTruthy();
      const stale = await browser.get(`/oauth/authorize?${new URLSearchParams({ ...valid(client.id), max_age: "60" })}`);
      expect(new URL(stale.location!, testApp.config.jwt.issuer).pathname).toBe("/oauth/sign-in");
      const none = await browser.get(`/oauth/authorize?${new URLSearchParams({ ...valid(client.id), max_age: "60", prompt: "none" })}`);
      expect(new URL(none.location!).searchParams.get("error")).toBe("login_required");
    });

    it("a third-party client asks for consent once per scope set; prompt=none without it says consent_required", async () => {
      const { client } = await registerClient(testApp, { firstParty: false });
      const { email } = await registerUser(testApp);
      const { browser } = await authorizationCode(testApp, client.id, email, { scope: "openid email" });
      const covered = await browser.get(`/oauth/authorize?${new URLSearchParams({ ...valid(client.id), scope: "openid", prompt: "none" })}`);
      expect(new URL(covered.location!).searchParams.get("code")).toBeTruthy();
      const wider = await browser.get(`/oauth/authorize?${new URLSearchParams({ ...valid(client.id), scope: "openid profile", prompt: "none" })}`);
      expect(new URL(wider.location!).searchParams.get("error")).toBe("consent_required");
      const asked = await browser.get(`/oauth/authorize?${new URLSearchParams({ ...valid(client.id), prompt: "consent none" })}`);
      expect(new URL(asked.location!).searchParams.get("error")).toBe("invalid_request");
    });

    it("denying consent answers access_denied to the client", async () => {
      const { client } = await registerClient(testApp, { firstParty: false });
      const { email } = await registerUser(testApp);
      const browser = testBrowser(testApp);
      const origin = new URL(testApp.config.jwt.issuer).origin;
      let page = await browser.follow(await browser.get(`/oauth/authorize?${new URLSearchParams(valid(client.id))}`), origin);
      page = await browser.follow(await browser.submit("/oauth/sign-in", { ...formFieldsOf(page.text, "/oauth/sign-in"), email, password: PASSWORD }), origin);
      const denied = await browser.submit("/oauth/consent", { ...formFieldsOf(page.text, "/oauth/consent"), decision: "deny" });
      expect(Object.fromEntries(new URL(denied.location!).searchParams)).toMatchObject({ error: "access_denied", state: "st", iss: testApp.config.jwt.issuer });
    });
  });
});

describe("isResourceIndicator", () => {
  it("is an absolute URI without a fragment, at most 2048 characters", () => {
    expect(isResourceIndicator("https://api.example/")).toBe(true);
    expect(isResourceIndicator(`https://api.example/${"a".repeat(2048 - 20)}`)).toBe(true);
    for (const value of ["/relative", "https://api.example/#x", `https://api.example/${"a".repeat(2048 - 19)}`, ""]) expect(isResourceIndicator(value)).toBe(false);
  });
});
