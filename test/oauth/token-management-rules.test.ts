import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { createTestApp, type TestApp } from "../helpers/test-app.js";
import { POST_LOGOUT_URI, registerClient } from "./support.js";
import { basicAuth, issuedTokens, postForm } from "./rules-support.js";

/**
 * Revocation, introspection, userinfo and RP-initiated logout at their edges, over HTTP as a client
 * sees them: whose token a client may end or read, what an answer holds, and when a token stops
 * being live. One backend (PGlite): these are the provider's rules; the flows run on all three.
 */
describe("OAuth token management rules", () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  const introspect = (auth: string, token: string) => postForm(testApp, "/oauth/introspect", { token }, auth);
  const revoke = (auth: string, token: string) => postForm(testApp, "/oauth/revoke", { token }, auth);
  const userinfo = (token: string) => testApp.app.request("/oauth/userinfo", { headers: { authorization: `Bearer ${token}` } });
  /** The same token with one character of its secret part changed. */
  const tampered = (token: string) => `${token.slice(0, -2)}${token.at(-2) === "A" ? "B" : "A"}${token.at(-1)}`;

  describe("revocation", () => {
    it("needs a token", async () => {
      const { auth } = await issuedTokens(testApp);
      const response = await postForm(testApp, "/oauth/revoke", {}, auth);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe("invalid_request");
    });

    it("another client's refresh or access token is left alone (and the answer is still 200)", async () => {
      const { auth, tokens } = await issuedTokens(testApp);
      const other = await registerClient(testApp);
      const otherAuth = basicAuth(other.client.id, other.clientSecret!);
      expect((await revoke(otherAuth, tokens.refresh_token!)).status).toBe(200);
      expect((await revoke(otherAuth, tokens.access_token)).status).toBe(200);
      expect((await introspect(auth, tokens.refresh_token!)).body.active).toBe(true);
      expect((await introspect(auth, tokens.access_token)).body.active).toBe(true);
    });

    it("a refresh token with the right session but the wrong secret ends nothing", async () => {
      const { auth, tokens } = await issuedTokens(testApp);
      expect((await revoke(auth, tampered(tokens.refresh_token!))).status).toBe(200);
      expect((await introspect(auth, tokens.refresh_token!)).body.active).toBe(true);
      expect((await introspect(auth, tampered(tokens.refresh_token!))).body).toEqual({ active: false });
    });

    it("revoking the access token ends the grant: its refresh token too", async () => {
      const { auth, tokens } = await issuedTokens(testApp);
      expect((await revoke(auth, tokens.access_token)).status).toBe(200);
      expect((await introspect(auth, tokens.access_token)).body).toEqual({ active: false });
      expect((await introspect(auth, tokens.refresh_token!)).body).toEqual({ active: false });
      const refreshed = await postForm(testApp, "/oauth/token", { grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, auth);
      expect(refreshed.body.error).toBe("invalid_grant");
    });

    it("a token that is neither ours nor a JWT is answered 200 (RFC 7009 §2.2), and ends nothing", async () => {
      const { auth, tokens } = await issuedTokens(testApp);
      for (const value of ["not-a-token", "rt.not-a-refresh-token", `${tokens.access_token}x`]) expect((await revoke(auth, value)).status, value).toBe(200);
      expect((await introspect(auth, tokens.access_token)).body.active).toBe(true);
    });

    it("a machine token (client credentials) is answered 200 and stays as it is", async () => {
      const { client, clientSecret } = await registerClient(testApp, { grantTypes: ["client_credentials"], scopes: ["reports:read"], redirectUris: [], firstParty: false });
      const auth = basicAuth(client.id, clientSecret!);
      const issued = await postForm(testApp, "/oauth/token", { grant_type: "client_credentials" }, auth);
      const token = issued.body.access_token as string;
      expect((await revoke(auth, token)).status).toBe(200);
      expect((await introspect(auth, token)).body.active).toBe(true);
    });
  });

  describe("introspection", () => {
    it("needs a token", async () => {
      const { auth } = await issuedTokens(testApp);
      const response = await postForm(testApp, "/oauth/introspect", {}, auth);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe("invalid_request");
    });

    it("describes a refresh token: its client, user, scopes, issuer and lifetime", async () => {
      const { auth, client, user, tokens } = await issuedTokens(testApp);
      const { body } = await introspect(auth, tokens.refresh_token!);
      expect(body).toMatchObject({ active: true, token_type: "refresh_token", client_id: client.id, sub: user!.id, scope: "openid email profile offline_access", iss: testApp.config.jwt.issuer });
      const now = Math.floor(testApp.clock().getTime() / 1000);
      expect(body.iat).toBe(now);
      expect(body.exp).toBe(now + testApp.config.tokens.refreshTokenTtlSeconds);
    });

    it("describes an access token with its own claims", async () => {
      const { auth, client, user, tokens } = await issuedTokens(testApp);
      const claims = decodeJwt(tokens.access_token);
      const { body } = await introspect(auth, tokens.access_token);
      expect(body).toEqual({
        active: true,
        token_type: "Bearer",
        client_id: client.id,
        sub: user!.id,
        scope: claims.scope,
        aud: claims.aud,
        iss: testApp.config.jwt.issuer,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        sid: claims.sid,
      });
    });

    it("a machine token has no sid", async () => {
      const { client, clientSecret } = await registerClient(testApp, { grantTypes: ["client_credentials"], scopes: ["reports:read"], redirectUris: [], firstParty: false });
      const auth = basicAuth(client.id, clientSecret!);
      const issued = await postForm(testApp, "/oauth/token", { grant_type: "client_credentials" }, auth);
      const { body } = await introspect(auth, issued.body.access_token as string);
      expect(body).toMatchObject({ active: true, sub: client.id });
      expect(body).not.toHaveProperty("sid");
    });

    it("a refresh token is shown only to its own client; a token that is no JWT is inactive", async () => {
      const { tokens } = await issuedTokens(testApp);
      const other = await registerClient(testApp);
      const otherAuth = basicAuth(other.client.id, other.clientSecret!);
      expect((await introspect(otherAuth, tokens.refresh_token!)).body).toEqual({ active: false });
      expect((await introspect(otherAuth, "not-a-token")).body).toEqual({ active: false });
    });

    it("a user disabled without their sessions being revoked: their access token is no longer live", async () => {
      const { auth, user, tokens } = await issuedTokens(testApp);
      // The store directly, not the admin API (which also revokes the sessions): only the user check is left to refuse.
      await testApp.deps.users.update(user!.id, { disabledAt: testApp.clock() });
      expect((await introspect(auth, tokens.access_token)).body).toEqual({ active: false });
      expect((await userinfo(tokens.access_token)).status).toBe(401);
    });
  });

  describe("userinfo", () => {
    it("needs a Bearer token", async () => {
      const response = await testApp.app.request("/oauth/userinfo");
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe("invalid_token");
    });

    it("answers the claims of the token's scopes only", async () => {
      const { user, tokens } = await issuedTokens(testApp, { scope: "openid" });
      const response = await userinfo(tokens.access_token);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: user!.id });
    });

    it("without openid: 403 insufficient_scope", async () => {
      const { tokens } = await issuedTokens(testApp, { scope: "email profile" });
      const response = await userinfo(tokens.access_token);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: string }).error).toBe("insufficient_scope");
    });

    it("a machine token or a revoked grant's token is invalid_token", async () => {
      const { client, clientSecret } = await registerClient(testApp, { grantTypes: ["client_credentials"], scopes: ["openid", "reports:read"], redirectUris: [], firstParty: false });
      const issued = await postForm(testApp, "/oauth/token", { grant_type: "client_credentials" }, basicAuth(client.id, clientSecret!));
      expect((await userinfo(issued.body.access_token as string)).status).toBe(401);
      const { auth, tokens } = await issuedTokens(testApp);
      await revoke(auth, tokens.refresh_token!);
      expect((await userinfo(tokens.access_token)).status).toBe(401);
    });
  });

  describe("RP-initiated logout", () => {
    const logoutPage = (query: Record<string, string>) => testApp.app.request(`/oauth/logout?${new URLSearchParams(query)}`);

    it("takes the client from id_token_hint or client_id, and only a URI registered for it", async () => {
      const { client, tokens } = await issuedTokens(testApp);
      expect((await logoutPage({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI })).status).toBe(200);
      expect((await logoutPage({ client_id: client.id, post_logout_redirect_uri: POST_LOGOUT_URI })).status).toBe(200);
      expect((await logoutPage({ client_id: client.id, id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI })).status).toBe(200);
      expect((await logoutPage({})).status).toBe(200);
      const other = await registerClient(testApp, { postLogoutRedirectUris: ["https://other.example/out"] });
      const refusals: Array<Record<string, string>> = [
        { post_logout_redirect_uri: POST_LOGOUT_URI }, // no client named
        { client_id: client.id, post_logout_redirect_uri: "https://other.example/out" }, // another client's
        { client_id: other.client.id, id_token_hint: tokens.id_token! }, // two clients
        { client_id: "unknown-client" },
        { id_token_hint: `${tokens.id_token!}x` }, // not ours
      ];
      for (const query of refusals) {
        const response = await logoutPage(query);
        expect(response.status, JSON.stringify(query)).toBe(400);
        expect(response.headers.get("location")).toBeNull();
      }
    });

    it("the confirmation page carries the client, the redirect and a bounded state back", async () => {
      const { client } = await issuedTokens(testApp);
      const page = await (await logoutPage({ client_id: client.id, post_logout_redirect_uri: POST_LOGOUT_URI, state: "st" })).text();
      expect(page).toContain(`value="${client.id}"`);
      expect(page).toContain(`value="${POST_LOGOUT_URI}"`);
      expect(page).toContain('value="st"');
      const long = await (await logoutPage({ client_id: client.id, state: "x".repeat(2049) })).text();
      expect(long).not.toContain("x".repeat(2049));
      const limit = await (await logoutPage({ client_id: client.id, state: "y".repeat(2048) })).text();
      expect(limit).toContain("y".repeat(2048));
    });
  });
});
