/**
 * The OAuth / OpenID Connect code flow on Bun: the service on a real Bun.serve listener (its issuer
 * is that listener's URL), openid-client 6 as the relying party over Bun's fetch (discovery, code +
 * PKCE S256 at /oauth/token, userinfo, refresh rotation and reuse), the sign-in through the hosted
 * pages over HTTP with a cookie jar, and the ID token verified against the JWKS with jose. Run by
 * `npx bun test ./test/bun/` (with TEST_DATABASE_URL and TEST_REDIS_URL in CI).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as oidc from "openid-client";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { createTestBrowser } from "../helpers/browser.js";
import { PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, type Listener, type TestApp } from "../helpers/test-app.js";
import { REDIRECT_URI, registerClient, signInThroughPages, startAuthorization } from "../oauth/support.js";
import { bunBackend, bunListen } from "./bun-client.js";

describe(`OAuth code flow on Bun.serve, ${bunBackend}`, () => {
  let listener: Listener;
  let testApp: TestApp | undefined;
  let issuer: string;

  beforeAll(async () => {
    // The listener first (the issuer names its port), then the app for that issuer.
    listener = bunListen((request) => (testApp ? testApp.app.fetch(request) : new Response("starting", { status: 503 })));
    issuer = listener.baseUrl;
    testApp = await createTestApp({ backend: bunBackend, env: { JWT_ISSUER: issuer } });
  }, 60_000);
  afterAll(async () => {
    await listener?.close();
    await testApp?.cleanup();
  }, 30_000);

  const call = (path: string, init: RequestInit = {}) => fetch(`${issuer}${path}`, init);

  it("signs in through the hosted pages, exchanges the code with PKCE, verifies the ID token with the JWKS, reads userinfo and rotates the refresh token", async () => {
    const email = uniqueEmail("bun-oauth");
    const registered = await call("/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD, name: "Ada" }) });
    expect(registered.status).toBe(201);
    const user = (await registered.json()) as { id: string };
    const { client, clientSecret } = await registerClient(testApp!);

    // Discovery from the issuer URL over Bun's fetch; plain http only because it is loopback.
    const config = await oidc.discovery(new URL(issuer), client.id, undefined, oidc.ClientSecretBasic(clientSecret!), { execute: [oidc.allowInsecureRequests] });
    expect(config.serverMetadata()).toMatchObject({ issuer, token_endpoint: `${issuer}/oauth/token`, code_challenge_methods_supported: ["S256"] });

    const browser = createTestBrowser((url, init) => fetch(url, init), issuer);
    const start = await startAuthorization(config);
    const callback = await signInThroughPages(browser, testApp!, start.url, email);
    expect(callback.status).toBe(303);
    expect(callback.location?.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    expect(new URL(callback.location!).searchParams.get("iss")).toBe(issuer);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(tokens.scope).toBe("openid email profile offline_access");
    expect(tokens.refresh_token).toMatch(/^rt\./);

    // The ID token's signature against the published keys (openid-client takes the token endpoint's answer on trust; this checks it).
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: client.id });
    expect(protectedHeader.kid).toBeDefined();
    expect(payload).toMatchObject({ sub: user.id, nonce: start.nonce, amr: ["pwd"], email, name: "Ada", sid: expect.any(String), at_hash: expect.any(String) });
    expect(typeof payload.auth_time).toBe("number");
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe("at+jwt");

    expect(await oidc.fetchUserInfo(config, tokens.access_token, user.id)).toMatchObject({ sub: user.id, email, email_verified: false, name: "Ada" });
    expect((await call("/me", { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);

    // Refresh rotation: a new refresh token; the spent one, used again after the grace window, ends the grant.
    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(rotated.refresh_token).toMatch(/^rt\./);
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect((await call("/me", { headers: { authorization: `Bearer ${rotated.access_token}` } })).status).toBe(200);
    testApp!.clock.advance(60);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
    await expect(oidc.refreshTokenGrant(config, rotated.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
    // Revoked, not expired: the access token is a minute old and its lifetime is 15 minutes.
    expect((await call("/me", { headers: { authorization: `Bearer ${rotated.access_token}` } })).status).toBe(401);
  }, 60_000);
});
