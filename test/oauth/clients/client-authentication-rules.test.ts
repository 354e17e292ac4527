import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, SignJWT, type GenerateKeyPairResult } from "jose";
import { createClientAuthentication, type AuthenticateClient } from "../../../src/oauth/clients/client-authentication.js";
import { clientSecretMatches, generateClientSecret, hashClientSecret } from "../../../src/oauth/clients/client-secret.js";
import { createSqlClientStore } from "../../../src/oauth/clients/sql-store.js";
import type { ClientAuthMethod, ClientStore, OAuthClient } from "../../../src/oauth/clients/store.js";
import { OAuthError } from "../../../src/oauth/errors.js";
import { createTestPglite, type TestBackend } from "../../helpers/backends.js";
import type { DatabaseHandle } from "../../../src/db/database.js";

/**
 * The edges of client authentication that client-authentication.test.ts leaves open: the forms of
 * the Basic header, mixed methods, an assertion's lifetime bound and jti, and the secrets
 * themselves. One backend: these are rules, not storage (the store has its own contract).
 */
const ISSUER = "https://auth.example.test";
const TOKEN_ENDPOINT = `${ISSUER}/oauth/token`;
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const NOW = new Date("2026-06-01T12:00:00Z");
const NOW_SECONDS = NOW.getTime() / 1000;

const base64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

describe("client authentication rules", () => {
  let backend: TestBackend<DatabaseHandle>;
  let clients: ClientStore;
  let authenticate: AuthenticateClient;
  beforeAll(async () => {
    backend = await createTestPglite();
    clients = createSqlClientStore({ db: backend.value.db });
    authenticate = createClientAuthentication({ clients, issuer: ISSUER, tokenEndpoint: TOKEN_ENDPOINT });
  });
  afterAll(() => backend.cleanup());

  /** Straight into the store: also records the registry would refuse, to pin the checks that do not trust it. */
  async function register(method: ClientAuthMethod, jwks: OAuthClient["jwks"] = null, overrides: { id?: string; type?: OAuthClient["type"]; secret?: string } = {}) {
    const client: OAuthClient = {
      id: overrides.id ?? `c-${crypto.randomUUID()}`,
      name: "Test client",
      type: overrides.type ?? (method === "none" ? "public" : "confidential"),
      redirectUris: ["https://app.example/cb"],
      postLogoutRedirectUris: [],
      grantTypes: ["authorization_code"],
      scopes: ["openid"],
      firstParty: false,
      tokenEndpointAuthMethod: method,
      jwks,
      createdAt: NOW,
      updatedAt: NOW,
    };
    const secret = overrides.secret ?? (method === "client_secret_basic" || method === "client_secret_post" ? generateClientSecret() : "");
    await clients.create(client, secret || overrides.secret !== undefined ? await hashClientSecret(secret) : null);
    return { client, secret };
  }

  const authenticated = async (authorization: string | undefined, form: Record<string, string | undefined> = {}) =>
    (await authenticate({ authorization, form, now: NOW })).id;

  async function refused(authorization: string | undefined, form: Record<string, string | undefined> = {}) {
    const error = await authenticate({ authorization, form, now: NOW }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ code: "invalid_client", status: 401, description: "Client authentication failed." });
  }

  describe("client_secret_basic", () => {
    it("takes the scheme in any case and spaces around the credentials (RFC 7235 §2.1)", async () => {
      const { client, secret } = await register("client_secret_basic");
      const credentials = base64(`${client.id}:${secret}`);
      for (const header of [`Basic ${credentials}`, `basic ${credentials}`, `BASIC ${credentials}`, `Basic   ${credentials}`, `Basic ${credentials}  `]) {
        expect(await authenticated(header), header).toBe(client.id);
      }
    });

    it("refuses a header that only contains a Basic one, or credentials that are not base64 of id:secret", async () => {
      const { client, secret } = await register("client_secret_basic");
      const credentials = base64(`${client.id}:${secret}`);
      for (const header of [`XBasic ${credentials}`, `Basic ${credentials} x`, `Basic${credentials}`, `Basic ${credentials}.`, "Basic ", `Basic ${base64(`${client.id}${secret}`)}`, `Basic ${base64(`${client.id}:`)}`, `Basic ${base64(`:${secret}`)}`]) {
        await refused(header);
      }
      // Not UTF-8 once decoded.
      await refused(`Basic ${btoa(`\xff${client.id}:${secret}`)}`);
      // A percent sign that is not an escape.
      await refused(`Basic ${base64(`${client.id}%:${secret}`)}`);
    });

    it("the secret is split at the first colon: a secret may itself hold one, when sent urlencoded", async () => {
      const { client, secret } = await register("client_secret_basic");
      await refused(`Basic ${base64(`${client.id}:${secret}:x`)}`);
      expect(await authenticated(`Basic ${base64(`${client.id}:${encodeURIComponent(secret)}`)}`)).toBe(client.id);
    });

    it("credentials without a colon, with an empty secret, or bytes that are not UTF-8 are refused", async () => {
      // Without the colon, "ab" + "abc" would otherwise read as id "ab" and secret "abc".
      const id = `ab-${crypto.randomUUID()}`;
      await register("client_secret_basic", null, { id, secret: `${id}c` });
      await refused(`Basic ${base64(`${id}c`)}`);
      expect(await authenticated(`Basic ${base64(`${id}:${id}c`)}`)).toBe(id);
      // A stored hash of the empty string does not make an empty secret a credential.
      const empty = await register("client_secret_basic", null, { secret: "" });
      await refused(`Basic ${base64(`${empty.client.id}:`)}`);
      // Invalid UTF-8 is refused, not decoded into U+FFFD (which could then name a client).
      const replacement = await register("client_secret_basic", null, { id: `a\ufffdb-${crypto.randomUUID()}`, secret: "s3cret-s3cret" });
      const raw = `a\xffb${replacement.client.id.slice(3)}:s3cret-s3cret`;
      await refused(`Basic ${btoa(raw)}`);
      // base64 of a bad length.
      await refused("Basic a");
    });

    it("a client_id in the form must name the same client as the header", async () => {
      const { client, secret } = await register("client_secret_basic");
      const other = await register("client_secret_basic");
      const header = `Basic ${base64(`${client.id}:${secret}`)}`;
      expect(await authenticated(header, { client_id: client.id })).toBe(client.id);
      await refused(header, { client_id: other.client.id });
      await refused(header, { client_id: "" });
    });
  });

  describe("mixed or half-sent methods", () => {
    it("an assertion, or only its type, next to a public client's id is refused", async () => {
      const { client } = await register("none");
      expect(await authenticated(undefined, { client_id: client.id })).toBe(client.id);
      await refused(undefined, { client_id: client.id, client_assertion: "x.y.z" });
      await refused(undefined, { client_id: client.id, client_assertion_type: JWT_BEARER });
      await refused(undefined, { client_id: client.id, client_secret: "" });
    });

    it("a public client's id with an Authorization header that is not Basic is refused", async () => {
      const { client } = await register("none");
      await refused("Bearer x", { client_id: client.id });
      await refused("", { client_id: client.id });
    });

    it("a confidential client named with no credentials is not authenticated as public", async () => {
      const { client } = await register("client_secret_post");
      await refused(undefined, { client_id: client.id });
      // Nor one whose record says confidential with method none, or public with a secret method.
      const inconsistent = await register("none", null, { type: "confidential" });
      await refused(undefined, { client_id: inconsistent.client.id });
      const publicWithSecret = await register("client_secret_post", null, { type: "public" });
      await refused(undefined, { client_id: publicWithSecret.client.id });
    });
  });

  describe("private_key_jwt", () => {
    let keys: GenerateKeyPairResult;
    let client: OAuthClient;
    beforeAll(async () => {
      keys = await generateKeyPair("ES256");
      ({ client } = await register("private_key_jwt", [{ ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256" }]));
    });

    function assertion(claims: Record<string, unknown> = {}, exp = NOW_SECONDS + 60) {
      return new SignJWT({ jti: crypto.randomUUID(), ...claims })
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer(client.id)
        .setSubject(client.id)
        .setAudience(TOKEN_ENDPOINT)
        .setIssuedAt(NOW_SECONDS)
        .setExpirationTime(exp)
        .sign(keys.privateKey);
    }
    const form = async (jwt: Promise<string>) => ({ client_assertion_type: JWT_BEARER, client_assertion: await jwt });

    it("an assertion may live five minutes at most (RFC 7523 §3)", async () => {
      expect(await authenticated(undefined, await form(assertion({}, NOW_SECONDS + 300)))).toBe(client.id);
      await refused(undefined, await form(assertion({}, NOW_SECONDS + 301)));
    });

    it("every asymmetric algorithm of the list authenticates: RS256, PS256, ES256, EdDSA", async () => {
      for (const alg of ["RS256", "PS256", "ES256", "EdDSA"]) {
        const pair = await generateKeyPair(alg);
        const { client: holder } = await register("private_key_jwt", [{ ...(await exportJWK(pair.publicKey)), kid: "k", alg }]);
        const jwt = await new SignJWT({ jti: crypto.randomUUID() })
          .setProtectedHeader({ alg, kid: "k" })
          .setIssuer(holder.id)
          .setSubject(holder.id)
          .setAudience(TOKEN_ENDPOINT)
          .setExpirationTime(NOW_SECONDS + 60)
          .sign(pair.privateKey);
        expect(await authenticated(undefined, { client_assertion_type: JWT_BEARER, client_assertion: jwt }), alg).toBe(holder.id);
      }
    });

    it("an assertion needs exp", async () => {
      const jwt = await new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(client.id).setSubject(client.id).setAudience(TOKEN_ENDPOINT).sign(keys.privateKey);
      await refused(undefined, { client_assertion_type: JWT_BEARER, client_assertion: jwt });
    });

    it("an assertion for an unknown client, a secret client holding keys, or a client without keys is refused", async () => {
      const unknown = await new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer("unknown").setSubject("unknown").setAudience(TOKEN_ENDPOINT).setExpirationTime(NOW_SECONDS + 60).sign(keys.privateKey);
      await refused(undefined, { client_assertion_type: JWT_BEARER, client_assertion: unknown });
      const jwks = [{ ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256" }];
      for (const other of [await register("client_secret_basic", jwks), await register("private_key_jwt", null)]) {
        const jwt = await new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(other.client.id).setSubject(other.client.id).setAudience(TOKEN_ENDPOINT).setExpirationTime(NOW_SECONDS + 60).sign(keys.privateKey);
        await refused(undefined, { client_assertion_type: JWT_BEARER, client_assertion: jwt });
      }
    });

    it("its jti must be a non-empty string", async () => {
      await refused(undefined, await form(assertion({ jti: "" })));
      await refused(undefined, await form(assertion({ jti: 12345 })));
    });

    it("the type must be jwt-bearer and an assertion must be there", async () => {
      await refused(undefined, { client_assertion_type: JWT_BEARER });
      await refused(undefined, { client_assertion_type: JWT_BEARER, client_assertion: "" });
      await refused(undefined, { client_assertion: await assertion() });
    });

    it("a spent jti stays spent until the assertion's exp", async () => {
      const jwt = await assertion({}, NOW_SECONDS + 120);
      expect(await authenticated(undefined, await form(Promise.resolve(jwt)))).toBe(client.id);
      const later = new Date(NOW.getTime() + 100_000);
      const error = await authenticate({ authorization: undefined, form: await form(Promise.resolve(jwt)), now: later }).then(() => null, (e: unknown) => e);
      expect(error).toMatchObject({ code: "invalid_client" });
    });

    it("an assertion naming no subject, or one not a JWT, is refused", async () => {
      const noSubject = await new SignJWT({ jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer(client.id)
        .setAudience(TOKEN_ENDPOINT)
        .setExpirationTime(NOW_SECONDS + 60)
        .sign(keys.privateKey);
      await refused(undefined, { client_assertion_type: JWT_BEARER, client_assertion: noSubject });
      await refused(undefined, { client_assertion_type: JWT_BEARER, client_assertion: "not-a-jwt" });
    });
  });

  describe("secrets", () => {
    it("are 256 random bits, base64url", () => {
      const secrets = new Set(Array.from({ length: 20 }, generateClientSecret));
      expect(secrets.size).toBe(20);
      for (const secret of secrets) expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it("are stored as their SHA-256 in hex", async () => {
      expect(await hashClientSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    });

    it("match only their own hash, and never without one", async () => {
      const secret = generateClientSecret();
      expect(await clientSecretMatches(secret, await hashClientSecret(secret))).toBe(true);
      expect(await clientSecretMatches(`${secret}x`, await hashClientSecret(secret))).toBe(false);
      expect(await clientSecretMatches(secret, null)).toBe(false);
    });
  });
});
