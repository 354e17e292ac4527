import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWTHeaderParameters } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createAccessTokens, createAccessTokensFromConfig, createAsymmetricSigningKeys, generateSigningJwk, type AccessTokens, type PrivateSigningJwk } from "../../src/tokens/jwt.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";
import { expectProblem, PASSWORD, uniqueEmail } from "./support.js";

/**
 * Token hardening: key rotation that logs no one out, JWKS caching, header parameters that point
 * at other keys (RFC 8725 §3.10), unknown kids, and the clock tolerance.
 */

/** One embedded database for the whole file; instances with other keys or settings are more apps over it. */
let shared: Promise<TestApp> | undefined;
const sharedApp = () => (shared ??= createTestApp());
afterAll(async () => {
  if (shared) await (await shared).cleanup();
});

/** The access tokens an instance configured with JWT_PRIVATE_KEYS=`jwks` would use, through the config path. */
async function accessTokensFor(jwks: PrivateSigningJwk[], testApp: TestApp): Promise<AccessTokens> {
  const config = loadConfig({ NODE_ENV: "production", JWT_ISSUER: "https://auth.example.com", JWT_PRIVATE_KEYS: JSON.stringify(jwks) });
  if (config.jwt.signing.kind !== "asymmetric") throw new Error("expected asymmetric keys");
  return createAccessTokensFromConfig(testApp.config, await createAsymmetricSigningKeys(config.jwt.signing.privateJwks as PrivateSigningJwk[]));
}

describe("key rotation (JWT_PRIVATE_KEYS: the first signs, all verify)", () => {
  let testApp: TestApp;
  let oldKey: PrivateSigningJwk;
  let newKey: PrivateSigningJwk;
  /** Instances over one database and session store: before, during and after the rotation. */
  let before: TestClient;
  let during: TestClient;
  let after: TestClient;
  beforeAll(async () => {
    testApp = await sharedApp();
    oldKey = { ...(await generateSigningJwk()), kid: "2026-01" };
    newKey = { ...(await generateSigningJwk()), kid: "2026-07" };
    const instance = async (jwks: PrivateSigningJwk[]) => inProcessClient(createApp({ ...testApp.deps, accessTokens: await accessTokensFor(jwks, testApp) }));
    before = await instance([oldKey]);
    during = await instance([newKey, oldKey]);
    after = await instance([newKey]);
  });

  it("keeps a session signed in across the rotation: old tokens verify, refresh issues tokens of the new key", async () => {
    const email = uniqueEmail("rotation");
    await before.request("POST", "/register", { json: { email, password: PASSWORD } });
    const signedIn = (await before.request("POST", "/login", { json: { email, password: PASSWORD } })).body;
    expect(decodeProtectedHeader(signedIn.access_token).kid).toBe("2026-01");

    // The new key is prepended: the token of the old first key still verifies...
    expect((await during.request("GET", "/me", { token: signedIn.access_token })).status).toBe(200);
    // ...and a refresh signs with the new key, without a new login.
    const refreshed = await during.request("POST", "/refresh", { json: { refresh_token: signedIn.refresh_token } });
    expect(refreshed.status).toBe(200);
    expect(decodeProtectedHeader(refreshed.body.access_token).kid).toBe("2026-07");
    expect((await during.request("GET", "/me", { token: refreshed.body.access_token })).status).toBe(200);

    // Once the old key is removed, its tokens stop verifying; the new ones go on.
    expectProblem(await after.request("GET", "/me", { token: signedIn.access_token }), 401, "INVALID_TOKEN");
    expect((await after.request("GET", "/me", { token: refreshed.body.access_token })).status).toBe(200);
  });

  it("publishes both public keys during the rotation, never a private part", async () => {
    const jwks = await during.request("GET", "/.well-known/jwks.json");
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).toEqual(["2026-07", "2026-01"]);
    for (const key of jwks.body.keys) expect(key.d).toBeUndefined();
    expect(jwks.text).not.toContain(oldKey.d);
    expect(jwks.text).not.toContain(newKey.d);
  });

  it("serves the JWKS cacheable, but only for a short time", async () => {
    const cacheControl = (await during.request("GET", "/.well-known/jwks.json")).headers.get("cache-control") ?? "";
    const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)?.[1]);
    expect(cacheControl).toMatch(/public/);
    expect(maxAge).toBeGreaterThan(0);
    // Short enough that verifiers pick up a newly prepended key well within an access token's life.
    expect(maxAge).toBeLessThanOrEqual(900);
  });
});

describe("forged token headers and the clock", () => {
  let testApp: TestApp;
  let client: TestClient;
  let user: { id: string };
  let sid: string;
  beforeAll(async () => {
    testApp = await sharedApp();
    client = inProcessClient(testApp.app);
    const email = uniqueEmail("headers");
    user = (await client.request("POST", "/register", { json: { email, password: PASSWORD } })).body;
    sid = decodeJwt((await client.request("POST", "/login", { json: { email, password: PASSWORD } })).body.access_token).sid as string;
  });

  /** A token with every claim right, signed with the service's real key, under `header`. */
  async function signed(header: Partial<JWTHeaderParameters> & Record<string, unknown>, key = testApp.signingKeys.signing.key): Promise<string> {
    const signing = testApp.signingKeys.signing;
    return new SignJWT({ sid, roles: ["user"] })
      .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: "at+jwt", ...header })
      .setIssuer(testApp.config.jwt.issuer)
      .setAudience(testApp.config.jwt.audience)
      .setSubject(user.id)
      .setIssuedAt(Math.floor(testApp.clock().getTime() / 1000))
      .setExpirationTime(Math.floor(testApp.clock().getTime() / 1000) + 300)
      .setJti(crypto.randomUUID())
      .sign(key);
  }
  async function expectAccepted(token: string) {
    expect((await client.request("GET", "/me", { token })).status).toBe(200);
  }
  async function expectRejected(token: string) {
    const response = await client.request("GET", "/me", { token });
    expectProblem(response, 401, "INVALID_TOKEN");
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  }

  it("accepts the control token: the real key, the right header", async () => {
    await expectAccepted(await signed({}));
  });

  it.each([
    ["jku", { jku: "https://attacker.example/jwks.json" }],
    ["x5u", { x5u: "https://attacker.example/cert.pem" }],
    ["x5c", { x5c: ["MIIBszCCAVmgAwIBAgIUW"] }],
  ])("rejects a token whose header carries %s, even correctly signed", async (_name, header) => {
    await expectRejected(await signed(header));
  });

  it("rejects an embedded jwk header, both the attacker's own key and a copy of ours", async () => {
    const attacker = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    await expectRejected(await signed({ jwk: attackerJwk, kid: undefined }, attacker.privateKey));
    await expectRejected(await signed({ jwk: testApp.signingKeys.publicJwks[0] }));
  });

  it("rejects an unknown kid, a missing kid and a kid whose algorithm differs from the header's", async () => {
    await expectRejected(await signed({ kid: "no-such-key" }));
    await expectRejected(await signed({ kid: undefined }));
    await expectRejected(await signed({ kid: `${testApp.signingKeys.signing.kid} ` }));
    // The real key's kid, but a header claiming another algorithm.
    const p256 = await generateKeyPair("ES256", { extractable: true });
    await expectRejected(await signed({ alg: "ES256" }, p256.privateKey));
  });

  it("accepts a token expired by less than JWT_CLOCK_TOLERANCE (5 s), rejects one expired by more", async () => {
    const token = await signed({});
    testApp.clock.advance(300 + 4);
    try {
      await expectAccepted(token);
      testApp.clock.advance(2);
      await expectRejected(token);
    } finally {
      testApp.clock.advance(-(300 + 6));
    }
  });

  it("honours a configured tolerance of 0", async () => {
    // An instance as JWT_CLOCK_TOLERANCE=0 configures it, with the same keys and database.
    const { clockToleranceSeconds } = loadConfig({ JWT_CLOCK_TOLERANCE: "0" }).jwt;
    expect(clockToleranceSeconds).toBe(0);
    const accessTokens = createAccessTokens({
      keys: testApp.signingKeys,
      issuer: testApp.config.jwt.issuer,
      audience: testApp.config.jwt.audience,
      clientId: testApp.config.jwt.clientId,
      ttlSeconds: testApp.config.tokens.accessTokenTtlSeconds,
      clockToleranceSeconds,
    });
    const strictClient = inProcessClient(createApp({ ...testApp.deps, accessTokens }));
    const email = uniqueEmail("strict");
    await strictClient.request("POST", "/register", { json: { email, password: PASSWORD } });
    const { access_token: token } = (await strictClient.request("POST", "/login", { json: { email, password: PASSWORD } })).body;
    testApp.clock.advance(900);
    try {
      expect((await strictClient.request("GET", "/me", { token })).status).toBe(401);
      testApp.clock.advance(-1);
      expect((await strictClient.request("GET", "/me", { token })).status).toBe(200);
      // The default instance (5 s) still accepts it a second after expiry.
      testApp.clock.advance(2);
      expect((await client.request("GET", "/me", { token })).status).toBe(200);
    } finally {
      testApp.clock.advance(-901);
    }
  });

  it("refuses a tolerance above 300 s at start, naming the variable", () => {
    expect(() => loadConfig({ JWT_CLOCK_TOLERANCE: "301" })).toThrow(/JWT_CLOCK_TOLERANCE/);
    expect(() => loadConfig({ JWT_CLOCK_TOLERANCE: "5m" })).not.toThrow();
  });

  it("rejects a token not yet valid (nbf) beyond the tolerance", async () => {
    const now = Math.floor(testApp.clock().getTime() / 1000);
    const signing = testApp.signingKeys.signing;
    const notYet = (seconds: number) =>
      new SignJWT({ sid, roles: ["user"] })
        .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: "at+jwt" })
        .setIssuer(testApp.config.jwt.issuer)
        .setAudience(testApp.config.jwt.audience)
        .setSubject(user.id)
        .setIssuedAt(now)
        .setNotBefore(now + seconds)
        .setExpirationTime(now + 600)
        .setJti(crypto.randomUUID())
        .sign(signing.key);
    await expectAccepted(await notYet(4));
    await expectRejected(await notYet(30));
  });
});
