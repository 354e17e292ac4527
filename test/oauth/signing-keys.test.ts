import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as oidc from "openid-client";
import { decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import { flows, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";
import { basicAuth, postForm } from "./rules-support.js";
import { registerClient, relyingParty, signInThroughPages, startAuthorization, testBrowser } from "./support.js";

/**
 * The provider and the configured keys: RS256, which OpenID Connect requires every provider to
 * offer, when an RSA key signs (first in JWT_PRIVATE_KEYS); and an HS256 secret alone, which cannot
 * sign ID tokens a relying party can verify, turning the provider off with a 503 that says why.
 */
describe("the OAuth provider's signing keys", () => {
  describe("an RSA key first in JWT_PRIVATE_KEYS", () => {
    let testApp: TestApp;
    let api: TestClient;
    const { register } = flows(() => api);

    beforeAll(async () => {
      const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
      const { privateKey: edKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      const keys = [{ ...(await exportJWK(privateKey)), kid: "rsa-1" }, { ...(await exportJWK(edKey)), kid: "ed-1" }];
      testApp = await createTestApp({ env: { JWT_PRIVATE_KEYS: JSON.stringify(keys) } });
      api = inProcessClient(testApp.app);
    });
    afterAll(async () => {
      await testApp?.cleanup();
    });

    it("signs ID and access tokens with RS256, announces it, and openid-client verifies them", async () => {
      const email = uniqueEmail("rsa");
      const user = await register(email);
      const { client, clientSecret } = await registerClient(testApp);
      const config = await relyingParty(testApp, client.id, clientSecret);
      expect(config.serverMetadata().id_token_signing_alg_values_supported).toEqual(["RS256"]);
      const start = await startAuthorization(config);
      const callback = await signInThroughPages(testBrowser(testApp), testApp, start.url, email);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: "RS256", kid: "rsa-1" });
      expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: "RS256", kid: "rsa-1", typ: "at+jwt" });
      expect(tokens.claims()).toMatchObject({ sub: user.id, aud: client.id, nonce: start.nonce });
      // at_hash over SHA-256 for RS256 (OIDC Core §3.1.3.6): openid-client checked it; the userinfo call proves the token works.
      expect(await oidc.fetchUserInfo(config, tokens.access_token, user.id)).toMatchObject({ sub: user.id, email });
      const jwks = (await api.request("GET", "/.well-known/jwks.json")).body as { keys: Array<{ kid: string; kty: string }> };
      expect(jwks.keys.map(({ kid, kty }) => ({ kid, kty }))).toEqual([{ kid: "rsa-1", kty: "RSA" }, { kid: "ed-1", kty: "OKP" }]);
    });
  });

  describe("an HS256 JWT_SECRET alone", () => {
    let testApp: TestApp;

    beforeAll(async () => {
      testApp = await createTestApp({ env: { JWT_SECRET: "a-test-secret-that-is-long-enough-0123456789" } });
    });
    afterAll(async () => {
      await testApp?.cleanup();
    });

    it("answers the token endpoint with 503 temporarily_unavailable naming JWT_PRIVATE_KEYS", async () => {
      const { client, clientSecret } = await registerClient(testApp, { grantTypes: ["client_credentials"], scopes: [] });
      const response = await postForm(testApp, "/oauth/token", { grant_type: "client_credentials" }, basicAuth(client.id, clientSecret!));
      expect(response.status).toBe(503);
      const body = response.body as { error: string; error_description: string };
      expect(body.error).toBe("temporarily_unavailable");
      expect(body.error_description).toContain("JWT_PRIVATE_KEYS");
    });

    it("announces no ID token algorithm it could not honour", async () => {
      const metadata = (await (await testApp.app.request("/.well-known/openid-configuration")).json()) as Record<string, unknown>;
      expect(metadata.id_token_signing_alg_values_supported).toEqual([]);
    });
  });
});
