import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type GenerateKeyPairResult, type JWK } from "jose";
import { createClientAuthentication, type AuthenticateClient } from "../../../src/oauth/clients/client-authentication.js";
import { generateClientSecret, hashClientSecret } from "../../../src/oauth/clients/client-secret.js";
import { createSqlClientStore } from "../../../src/oauth/clients/sql-store.js";
import type { ClientAuthMethod, ClientStore, OAuthClient } from "../../../src/oauth/clients/store.js";
import { OAuthError } from "../../../src/oauth/errors.js";
import { createTestPglite, createTestPostgres, testDatabaseUrl, type TestBackend } from "../../helpers/backends.js";
import type { DatabaseHandle } from "../../../src/db/database.js";

const ISSUER = "https://auth.example.test";
const TOKEN_ENDPOINT = `${ISSUER}/oauth/token`;
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const basic = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id).replaceAll("%20", "+")}:${encodeURIComponent(secret).replaceAll("%20", "+")}`)}`;

function describeClientAuthentication(name: string, makeBackend: () => Promise<TestBackend<DatabaseHandle>>) {
  describe(`authenticateClient (${name})`, () => {
    let backend: TestBackend<DatabaseHandle>;
    let clients: ClientStore;
    let authenticate: AuthenticateClient;
    beforeAll(async () => {
      backend = await makeBackend();
      clients = createSqlClientStore({ db: backend.value.db });
      authenticate = createClientAuthentication({ clients, issuer: ISSUER, tokenEndpoint: TOKEN_ENDPOINT });
    });
    afterAll(() => backend.cleanup());

    async function register(method: ClientAuthMethod, options: { id?: string; jwks?: JWK[] } = {}) {
      const now = new Date();
      const client: OAuthClient = {
        id: options.id ?? `c-${crypto.randomUUID()}`,
        name: "Test client",
        type: method === "none" ? "public" : "confidential",
        redirectUris: ["https://app.example/cb"],
        postLogoutRedirectUris: [],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
        firstParty: false,
        tokenEndpointAuthMethod: method,
        jwks: options.jwks ?? null,
        createdAt: now,
        updatedAt: now,
      };
      const secret = method === "client_secret_basic" || method === "client_secret_post" ? generateClientSecret() : undefined;
      await clients.create(client, secret ? await hashClientSecret(secret) : null);
      return { client, secret: secret! };
    }

    async function refused(promise: Promise<unknown>) {
      const error = await promise.then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(OAuthError);
      expect(error).toMatchObject({ code: "invalid_client", status: 401 });
    }

    const now = () => new Date();

    it("client_secret_basic: the right secret authenticates; a wrong secret and an unknown client are refused alike", async () => {
      const { client, secret } = await register("client_secret_basic");
      expect((await authenticate({ authorization: basic(client.id, secret), form: {}, now: now() })).id).toBe(client.id);
      await refused(authenticate({ authorization: basic(client.id, `${secret}x`), form: {}, now: now() }));
      await refused(authenticate({ authorization: basic("unknown-client", secret), form: {}, now: now() }));
      await refused(authenticate({ authorization: "Basic !!!", form: {}, now: now() }));
      await refused(authenticate({ authorization: `Bearer ${secret}`, form: {}, now: now() }));
    });

    it("client_secret_basic: the id and secret are form-urlencoded before base64 (RFC 6749 §2.3.1)", async () => {
      const id = `app:é +/%-${crypto.randomUUID().slice(0, 6)}`;
      const { client, secret } = await register("client_secret_basic", { id });
      expect((await authenticate({ authorization: basic(id, secret), form: {}, now: now() })).id).toBe(client.id);
      // Sent raw (not urlencoded), the colon in the id splits it wrongly: refused.
      await refused(authenticate({ authorization: `Basic ${btoa(unescape(encodeURIComponent(`${id}:${secret}`)))}`, form: {}, now: now() }));
    });

    it("client_secret_post: the right secret authenticates; a wrong one, an unknown client or no client_id are refused", async () => {
      const { client, secret } = await register("client_secret_post");
      expect((await authenticate({ authorization: undefined, form: { client_id: client.id, client_secret: secret }, now: now() })).id).toBe(client.id);
      await refused(authenticate({ authorization: undefined, form: { client_id: client.id, client_secret: "wrong" }, now: now() }));
      await refused(authenticate({ authorization: undefined, form: { client_id: "unknown", client_secret: secret }, now: now() }));
      await refused(authenticate({ authorization: undefined, form: { client_secret: secret }, now: now() }));
    });

    it("a client must use its registered method, and only one method at a time", async () => {
      const basicClient = await register("client_secret_basic");
      const postClient = await register("client_secret_post");
      const publicClient = await register("none");
      await refused(authenticate({ authorization: undefined, form: { client_id: basicClient.client.id, client_secret: basicClient.secret }, now: now() }));
      await refused(authenticate({ authorization: basic(postClient.client.id, postClient.secret), form: {}, now: now() }));
      await refused(
        authenticate({ authorization: basic(basicClient.client.id, basicClient.secret), form: { client_id: basicClient.client.id, client_secret: basicClient.secret }, now: now() }),
      );
      // A confidential client cannot pass as public by leaving its secret out.
      await refused(authenticate({ authorization: undefined, form: { client_id: basicClient.client.id }, now: now() }));
      // A public client sending a secret is refused.
      await refused(authenticate({ authorization: undefined, form: { client_id: publicClient.client.id, client_secret: "anything" }, now: now() }));
    });

    it("none: a public client is returned on its client_id alone (the caller requires PKCE); an unknown one is refused", async () => {
      const { client } = await register("none");
      expect((await authenticate({ authorization: undefined, form: { client_id: client.id }, now: now() })).id).toBe(client.id);
      await refused(authenticate({ authorization: undefined, form: { client_id: "unknown" }, now: now() }));
      await refused(authenticate({ authorization: undefined, form: {}, now: now() }));
    });

    describe("private_key_jwt (RFC 7523)", () => {
      let keys: GenerateKeyPairResult;
      let client: OAuthClient;
      beforeAll(async () => {
        keys = await generateKeyPair("ES256");
        const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256" };
        ({ client } = await register("private_key_jwt", { jwks: [jwk] }));
      });

      function assertion(overrides: { aud?: string | string[]; exp?: number; jti?: string | null; iss?: string; sub?: string; key?: CryptoKey | Uint8Array; alg?: string } = {}) {
        const nowSeconds = Math.floor(Date.now() / 1000);
        const jwt = new SignJWT({ ...(overrides.jti !== null && { jti: overrides.jti ?? crypto.randomUUID() }) })
          .setProtectedHeader({ alg: overrides.alg ?? "ES256", kid: "k1" })
          .setIssuer(overrides.iss ?? client.id)
          .setSubject(overrides.sub ?? client.id)
          .setAudience(overrides.aud ?? TOKEN_ENDPOINT)
          .setIssuedAt(nowSeconds)
          .setExpirationTime(overrides.exp ?? nowSeconds + 60);
        return jwt.sign(overrides.key ?? keys.privateKey);
      }
      const withAssertion = async (jwt: string | Promise<string>, form: Record<string, string> = {}) =>
        authenticate({ authorization: undefined, form: { client_assertion_type: JWT_BEARER, client_assertion: await jwt, ...form }, now: now() });

      it("a signed assertion for the token endpoint or the issuer authenticates, once per jti", async () => {
        expect((await withAssertion(assertion())).id).toBe(client.id);
        expect((await withAssertion(assertion({ aud: ISSUER }), { client_id: client.id })).id).toBe(client.id);
        const once = await assertion();
        expect((await withAssertion(once)).id).toBe(client.id);
        await refused(withAssertion(once));
      });

      it("refuses a wrong audience, an expired or too long-lived assertion, no jti, a mismatched iss or client_id", async () => {
        const nowSeconds = Math.floor(Date.now() / 1000);
        await refused(withAssertion(assertion({ aud: "https://elsewhere.example/token" })));
        await refused(withAssertion(assertion({ exp: nowSeconds - 120 })));
        await refused(withAssertion(assertion({ exp: nowSeconds + 3600 })));
        await refused(withAssertion(assertion({ jti: null })));
        await refused(withAssertion(assertion({ iss: "someone-else" })));
        await refused(withAssertion(assertion(), { client_id: "someone-else" }));
        await refused(withAssertion(assertion(), { client_assertion_type: "urn:example:other" }));
      });

      it("refuses an assertion signed with another key, or an HS256 one (asymmetric algorithms only)", async () => {
        const other = await generateKeyPair("ES256");
        await refused(withAssertion(assertion({ key: other.privateKey })));
        await refused(withAssertion(assertion({ key: new TextEncoder().encode("a shared secret of at least 32 bytes!!"), alg: "HS256" })));
      });

      it("refuses a client secret from a private_key_jwt client, and an assertion from a secret client", async () => {
        await refused(authenticate({ authorization: undefined, form: { client_id: client.id, client_secret: "anything" }, now: now() }));
        await refused(withAssertion(assertion(), { client_secret: "anything" }));
        const secretClient = await register("client_secret_post");
        await refused(withAssertion(assertion({ iss: secretClient.client.id, sub: secretClient.client.id })));
      });
    });
  });
}

describeClientAuthentication("PGlite", createTestPglite);
describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describeClientAuthentication("PostgreSQL", createTestPostgres);
});
