import { afterAll, beforeAll, expect, it } from "vitest";
import * as oidc from "openid-client";
import { describeEachBackend, flows, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { REDIRECT_URI, registerClient, relyingParty, signInThroughPages, startAuthorization, testBrowser } from "./support.js";

/**
 * The authorization code flow end to end with openid-client (panva, v6) as the relying party:
 * discovery, code + PKCE through the hosted sign-in page, ID token validation, userinfo, refresh
 * rotation and reuse, revocation, introspection.
 */
describeEachBackend("OpenID Connect code flow with openid-client", (backend: BackendName) => {
  let testApp: TestApp;
  let api: TestClient;
  const { register } = flows(() => api);

  beforeAll(async () => {
    testApp = await createTestApp({ backend });
    api = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  async function signedInClient() {
    const email = uniqueEmail("oidc");
    const user = await register(email);
    const { client, clientSecret } = await registerClient(testApp);
    const config = await relyingParty(testApp, client.id, clientSecret);
    const browser = testBrowser(testApp);
    const start = await startAuthorization(config);
    const callback = await signInThroughPages(browser, testApp, start.url, email);
    return { email, user, client, config, browser, start, callback };
  }

  it("signs in through the hosted page and hands the relying party verified tokens", async () => {
    const { email, user, client, config, start, callback } = await signedInClient();
    expect(callback.status).toBe(303);
    expect(callback.location?.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: testApp.config.jwt.issuer, sub: user.id, aud: client.id, nonce: start.nonce, amr: ["pwd"], email });
    expect(typeof claims.auth_time).toBe("number");
    expect(typeof claims.sid).toBe("string");
    expect(tokens.refresh_token).toMatch(/^rt\./);
    expect(tokens.scope).toBe("openid email profile offline_access");
    const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, email, email_verified: false });
    // The access token is also this service's own: /me accepts it.
    expect((await api.request("GET", "/me", { token: tokens.access_token })).body.email).toBe(email);
  });

  it("rotates the refresh token, and a spent one revokes the grant", async () => {
    const { config, start, callback } = await signedInClient();
    const first = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    testApp.clock.advance(60); // past the reuse grace window (10 s), well within the access token's 15 minutes
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
    expect((await api.request("GET", "/me", { token: second.access_token })).status).toBe(401);
  });

  it("introspects live tokens, and revocation ends the grant", async () => {
    const { config, start, callback, client } = await signedInClient();
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, client_id: client.id, scope: "openid email profile offline_access" });
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({ active: true, token_type: "refresh_token" });
    await oidc.tokenRevocation(config, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    await expect(oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).rejects.toBeDefined();
  });
});
