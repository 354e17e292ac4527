import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { parseScope } from "../../src/oauth/scopes.js";
import { createTestApp, type TestApp } from "../helpers/test-app.js";
import { REDIRECT_URI, registerClient } from "./support.js";
import { authorizationCode, basicAuth, issuedTokens, postForm, registerUser } from "./rules-support.js";

/**
 * The token endpoint's grants at their edges, over HTTP as a client sees them: required
 * parameters, which client may use which grant, what a response holds, refresh scope narrowing,
 * the grace window, a user disabled behind their sessions' back, client credentials' scopes and
 * resource. One backend (PGlite); the flows run on all three.
 */
describe("OAuth token endpoint rules", () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  const token = (form: Record<string, string>, auth: string) => postForm(testApp, "/oauth/token", form, auth);
  const introspect = (auth: string, value: string) => postForm(testApp, "/oauth/introspect", { token: value }, auth);

  async function codeFor(options: Parameters<typeof authorizationCode>[3] = {}) {
    const registered = await registerClient(testApp);
    const { email, user } = await registerUser(testApp);
    const { code, verifier } = await authorizationCode(testApp, registered.client.id, email, options);
    return { ...registered, auth: basicAuth(registered.client.id, registered.clientSecret!), user, code, verifier };
  }

  describe("grant_type", () => {
    it("is required, and only the three grants are supported", async () => {
      const { auth } = await codeFor();
      for (const form of [{}, { grant_type: "" }] as Array<Record<string, string>>) {
        const response = await token(form, auth);
        expect(response.status).toBe(400);
        expect(response.body.error).toBe("invalid_request");
      }
      for (const grant of ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code"]) {
        expect((await token({ grant_type: grant }, auth)).body.error).toBe("unsupported_grant_type");
      }
    });
  });

  describe("authorization_code", () => {
    it("requires code, redirect_uri and code_verifier, each non-empty", async () => {
      const { auth, code, verifier } = await codeFor();
      const full = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
      for (const name of ["code", "redirect_uri", "code_verifier"] as const) {
        for (const form of [{ ...full, [name]: "" }, Object.fromEntries(Object.entries(full).filter(([key]) => key !== name))]) {
          const response = await token(form, auth);
          expect(response.body, name).toMatchObject({ error: "invalid_request", error_description: `${name} is required` });
        }
      }
      // None of these spent the code.
      expect((await token(full, auth)).status).toBe(200);
    });

    it("refuses a redirect_uri other than the authorization request's, and an unknown code", async () => {
      const { auth, code, verifier } = await codeFor();
      const wrong = await token({ grant_type: "authorization_code", code, redirect_uri: `${REDIRECT_URI}/other`, code_verifier: verifier }, auth);
      expect(wrong.body.error).toBe("invalid_grant");
      const unknown = await token({ grant_type: "authorization_code", code: `${code}x`, redirect_uri: REDIRECT_URI, code_verifier: verifier }, auth);
      expect(unknown.body.error).toBe("invalid_grant");
    });

    it("a client not registered for the grant is unauthorized_client", async () => {
      const { client, clientSecret } = await registerClient(testApp, { grantTypes: ["client_credentials"], scopes: ["reports:read"], redirectUris: [], firstParty: false });
      const response = await token({ grant_type: "authorization_code", code: "x", redirect_uri: REDIRECT_URI, code_verifier: "x" }, basicAuth(client.id, clientSecret!));
      expect(response.body.error).toBe("unauthorized_client");
    });

    it("a user disabled (behind their sessions' back) between the code and its exchange gets no tokens", async () => {
      const { auth, code, verifier, user } = await codeFor();
      await testApp.deps.users.update(user.id, { disabledAt: testApp.clock() });
      const response = await token({ grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, auth);
      expect(response.body.error).toBe("invalid_grant");
    });

    it("answers Bearer tokens for the granted scopes, the ID token with the request's nonce, a refresh token only for offline_access", async () => {
      const { client, user, tokens } = await issuedTokens(testApp);
      expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: testApp.config.tokens.accessTokenTtlSeconds, scope: "openid email profile offline_access" });
      expect(tokens.refresh_token).toMatch(/^rt\./);
      expect(decodeJwt(tokens.id_token!)).toMatchObject({ sub: user!.id, aud: client.id, nonce: "n" });
      expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: user!.id, client_id: client.id, aud: testApp.config.jwt.audience, scope: "openid email profile offline_access" });

      const online = await issuedTokens(testApp, { scope: "email" });
      expect(Object.keys(online.tokens).sort()).toEqual(["access_token", "expires_in", "scope", "token_type"]);
      expect(online.tokens.scope).toBe("email");
    });

    it("the access token's audience is the request's resource (RFC 8707)", async () => {
      const { tokens } = await issuedTokens(testApp, { extra: { resource: "https://api.example/" } });
      expect(decodeJwt(tokens.access_token).aud).toBe("https://api.example/");
    });

    it("without offline_access the grant still lives as long as its access token", async () => {
      const { auth, tokens } = await issuedTokens(testApp, { scope: "openid email" });
      testApp.clock.advance(testApp.config.tokens.accessTokenTtlSeconds - 30);
      expect((await introspect(auth, tokens.access_token)).body.active).toBe(true);
    });

    it("with offline_access the refresh token lives its configured idle time", async () => {
      const { auth, tokens } = await issuedTokens(testApp);
      const { body } = await introspect(auth, tokens.refresh_token!);
      expect((body.exp as number) - (body.iat as number)).toBe(testApp.config.tokens.refreshTokenTtlSeconds);
    });
  });

  describe("refresh_token", () => {
    it("is required; an API refresh token or a token without the rt. prefix is invalid_grant", async () => {
      const { auth, tokens } = await issuedTokens(testApp);
      expect((await token({ grant_type: "refresh_token" }, auth)).body).toMatchObject({ error: "invalid_request", error_description: "refresh_token is required" });
      expect((await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token!.slice(3) }, auth)).body.error).toBe("invalid_grant");
      expect((await token({ grant_type: "refresh_token", refresh_token: `rt.${tokens.refresh_token!}` }, auth)).body.error).toBe("invalid_grant");
      // Still the holder's.
      expect((await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, auth)).status).toBe(200);
    });

    it("another client's attempt is invalid_grant and spends nothing", async () => {
      const { auth, tokens } = await issuedTokens(testApp);
      const other = await registerClient(testApp);
      const response = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, basicAuth(other.client.id, other.clientSecret!));
      expect(response.body.error).toBe("invalid_grant");
      expect((await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, auth)).status).toBe(200);
    });

    it("a client without the refresh_token grant is unauthorized_client", async () => {
      const { auth, tokens, client } = await issuedTokens(testApp);
      await testApp.deps.clients.update(client.id, { grantTypes: ["authorization_code"] }, testApp.clock());
      expect((await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, auth)).body.error).toBe("unauthorized_client");
    });

    it("may narrow the scopes, never widen them, and a malformed scope is invalid_scope", async () => {
      const { auth, tokens } = await issuedTokens(testApp, { scope: "openid email offline_access" });
      const narrowed = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token!, scope: "email" }, auth);
      expect(narrowed.status).toBe(200);
      expect(narrowed.body.scope).toBe("email");
      expect(narrowed.body.id_token).toBeUndefined();
      const next = narrowed.body.refresh_token as string;
      expect((await token({ grant_type: "refresh_token", refresh_token: next, scope: "email profile" }, auth)).body.error).toBe("invalid_scope");
      expect((await token({ grant_type: "refresh_token", refresh_token: next, scope: 'email "' }, auth)).body.error).toBe("invalid_scope");
      // Without scope: the grant's scopes, and an ID token without nonce that keeps auth_time (OIDC Core §12.2).
      const full = await token({ grant_type: "refresh_token", refresh_token: next }, auth);
      expect(full.body.scope).toBe("openid email offline_access");
      const idClaims = decodeJwt(full.body.id_token as string);
      expect(idClaims.nonce).toBeUndefined();
      expect(idClaims.auth_time).toBe(decodeJwt(tokens.id_token!).auth_time);
    });

    it("a retry within the grace window gets the same successor; after it, reuse revokes the grant", async () => {
      const { auth, tokens } = await issuedTokens(testApp);
      const first = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, auth);
      const retry = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, auth);
      expect(retry.status).toBe(200);
      expect(retry.body.refresh_token).toBe(first.body.refresh_token);
      testApp.clock.advance(testApp.config.tokens.refreshReuseGraceSeconds + 1);
      expect((await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, auth)).body.error).toBe("invalid_grant");
      expect((await token({ grant_type: "refresh_token", refresh_token: first.body.refresh_token as string }, auth)).body.error).toBe("invalid_grant");
    });

    it("a user disabled behind their sessions' back is refused, and the grant ends", async () => {
      const { auth, tokens, user } = await issuedTokens(testApp);
      await testApp.deps.users.update(user!.id, { disabledAt: testApp.clock() });
      expect((await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, auth)).body.error).toBe("invalid_grant");
      await testApp.deps.users.update(user!.id, { disabledAt: null });
      expect((await introspect(auth, tokens.refresh_token!)).body).toEqual({ active: false });
    });
  });

  describe("client_credentials", () => {
    async function machineClient(scopes = ["reports:read", "reports:write", "openid"]) {
      const { client, clientSecret } = await registerClient(testApp, { grantTypes: ["client_credentials"], scopes, redirectUris: [], firstParty: false });
      return { client, auth: basicAuth(client.id, clientSecret!) };
    }

    it("without scope: all the client's non-OIDC scopes, for this service's API", async () => {
      const { client, auth } = await machineClient();
      const response = await token({ grant_type: "client_credentials" }, auth);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(["access_token", "expires_in", "scope", "token_type"]);
      expect(response.body).toMatchObject({ token_type: "Bearer", expires_in: testApp.config.tokens.accessTokenTtlSeconds, scope: "reports:read reports:write" });
      expect(decodeJwt(response.body.access_token as string)).toMatchObject({ sub: client.id, client_id: client.id, aud: testApp.config.jwt.audience, scope: "reports:read reports:write" });
    });

    it("a subset of them may be asked for; an OIDC scope, another one or a malformed one is invalid_scope", async () => {
      const { auth } = await machineClient();
      expect((await token({ grant_type: "client_credentials", scope: "reports:write" }, auth)).body.scope).toBe("reports:write");
      for (const scope of ["openid", "reports:read admin", 'reports:read "']) {
        expect((await token({ grant_type: "client_credentials", scope }, auth)).body.error, scope).toBe("invalid_scope");
      }
    });

    it("a resource becomes the audience; a relative one or one with a fragment is invalid_target", async () => {
      const { auth } = await machineClient();
      const response = await token({ grant_type: "client_credentials", resource: "https://api.example/" }, auth);
      expect(decodeJwt(response.body.access_token as string).aud).toBe("https://api.example/");
      for (const resource of ["/relative", "https://api.example/#part"]) {
        expect((await token({ grant_type: "client_credentials", resource }, auth)).body.error, resource).toBe("invalid_target");
      }
    });

    it("a client not registered for it is unauthorized_client", async () => {
      const { auth } = await codeFor();
      expect((await token({ grant_type: "client_credentials" }, auth)).body.error).toBe("unauthorized_client");
    });
  });
});

describe("parseScope", () => {
  it("splits on spaces, keeps the order, drops duplicates and empty tokens", () => {
    expect(parseScope(undefined)).toEqual([]);
    expect(parseScope("")).toEqual([]);
    expect(parseScope("  b a  b ")).toEqual(["b", "a"]);
    expect(parseScope("!#[]~")).toEqual(["!#[]~"]);
  });

  it("refuses characters outside RFC 6749 §3.3's scope-token", () => {
    for (const scope of ['a"b', "a\\b", "a\tb", "é", "a\u007fb"]) expect(parseScope(scope), scope).toBeNull();
  });
});
