import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import {
  createAccessTokens,
  createAsymmetricSigningKeys,
  createHmacSigningKeys,
  generateSigningJwk,
  type AccessTokens,
  type PrivateSigningJwk,
  type SigningKeys,
} from "../../src/tokens/jwt.js";

const subject = { userId: "01936b2e-7c1a-7d4e-9f3b-2a1c5e8d9f00", sessionId: "01936b2e-7c1a-7d4e-9f3b-2a1c5e8d9f01", roles: ["user"] };

describe.each([
  ["with the verified-token cache", 100],
  ["without it", 0],
])("access tokens %s", (_label, verifiedTokenCacheSize) => {
  async function tokens() {
    const keys = await createAsymmetricSigningKeys([await generateSigningJwk()]);
    return createAccessTokens({ keys, issuer: "iss", audience: "aud", clientId: "client", ttlSeconds: 900, clockToleranceSeconds: 5, verifiedTokenCacheSize });
  }

  it("verifies its own tokens again and again, and refuses them once expired (beyond the tolerance)", async () => {
    const accessTokens = await tokens();
    const issuedAt = new Date("2026-11-28T12:00:00Z");
    const token = await accessTokens.sign(subject, issuedAt);
    for (let i = 0; i < 3; i++) expect(await accessTokens.verify(token, issuedAt)).toMatchObject({ sub: subject.userId, sid: subject.sessionId });
    expect(await accessTokens.verify(token, new Date(issuedAt.getTime() + 904_000))).not.toBeNull();
    expect(await accessTokens.verify(token, new Date(issuedAt.getTime() + 906_000))).toBeNull();
    // and a token used before its iat (a clock far behind) is refused the same way
    expect(await accessTokens.verify(token, new Date(issuedAt.getTime() - 10_000))).toBeNull();
  });

  it("never answers a token that differs in any byte from one it verified", async () => {
    const accessTokens = await tokens();
    const now = new Date();
    const token = await accessTokens.sign(subject, now);
    expect(await accessTokens.verify(token, now)).not.toBeNull();
    // The signature's first character: its last ones carry base64 padding bits a change may not touch.
    const signatureStart = token.lastIndexOf(".") + 1;
    const tampered = `${token.slice(0, signatureStart)}${token[signatureStart] === "A" ? "B" : "A"}${token.slice(signatureStart + 1)}`;
    expect(await accessTokens.verify(tampered, now)).toBeNull();
  });
});

describe("HS256 access tokens", () => {
  it("sign with a kid derived from the secret, never the secret itself", async () => {
    const secret = "a-very-long-secret-of-at-least-32-bytes!";
    const keys = await createHmacSigningKeys(secret);
    const accessTokens = createAccessTokens({ keys, issuer: "iss", audience: "aud", clientId: "client", ttlSeconds: 60, clockToleranceSeconds: 0 });
    const token = await accessTokens.sign(subject, new Date());
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
    expect(header).toEqual({ alg: "HS256", kid: keys.signing.kid, typ: "at+jwt" });
    expect(token).not.toContain(Buffer.from(secret).toString("base64url").slice(0, 12));
    expect(accessTokens.jwks()).toEqual({ keys: [] });
    expect(await accessTokens.verify(token, new Date())).not.toBeNull();
  });
});

describe("JWT_PRIVATE_KEYS with RSA, EC and OKP keys", () => {
  /** A private JWK as a deployer would paste it into JWT_PRIVATE_KEYS, read through the config path. */
  async function configuredKeys(specs: Array<{ alg: "RS256" | "PS256" | "ES256" | "EdDSA"; kid: string; writeAlg: boolean }>) {
    const jwks = [];
    for (const { alg, kid, writeAlg } of specs) {
      const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" && { crv: "Ed25519" }) });
      jwks.push({ ...(await exportJWK(privateKey)), kid, ...(writeAlg && { alg }) });
    }
    const config = loadConfig({ JWT_PRIVATE_KEYS: JSON.stringify(jwks) });
    if (config.jwt.signing.kind !== "asymmetric") throw new Error("expected asymmetric keys");
    return createAsymmetricSigningKeys(config.jwt.signing.privateJwks as PrivateSigningJwk[]);
  }

  it.each([
    ["RS256", false],
    ["PS256", true],
    ["ES256", false],
    ["EdDSA", false],
  ] as const)("signs %s tokens with client_id that a JWKS verifier accepts", async (alg, writeAlg) => {
    const keys = await configuredKeys([{ alg, kid: "k1", writeAlg }]);
    const accessTokens = createAccessTokens({ keys, issuer: "https://auth.example.com", audience: "aud", clientId: "first-party", ttlSeconds: 900, clockToleranceSeconds: 5 });
    const now = new Date();
    const token = await accessTokens.sign(subject, now);
    expect(decodeProtectedHeader(token)).toEqual({ alg, kid: "k1", typ: "at+jwt" });
    expect(decodeJwt(token)).toMatchObject({ client_id: "first-party", iss: "https://auth.example.com", aud: "aud", sub: subject.userId });
    expect(await accessTokens.verify(token, now)).toMatchObject({ sub: subject.userId });
    // The published JWKS holds only public members, and verifies the token elsewhere.
    const { keys: published } = accessTokens.jwks();
    for (const member of ["d", "p", "q", "dp", "dq", "qi"]) expect(published[0]).not.toHaveProperty(member);
    expect(published[0]).toMatchObject({ kid: "k1", alg, use: "sig" });
    await expect(jwtVerify(token, createLocalJWKSet({ keys: published }), { algorithms: [alg] })).resolves.toBeTruthy();
  });

  it("verifies each key only with its own algorithm: an RS256 key's token relabelled PS256 is refused", async () => {
    const keys = await configuredKeys([
      { alg: "PS256", kid: "new", writeAlg: true },
      { alg: "RS256", kid: "old", writeAlg: false },
    ]);
    const accessTokens = createAccessTokens({ keys, issuer: "iss", audience: "aud", clientId: "c", ttlSeconds: 900, clockToleranceSeconds: 5 });
    const now = new Date();
    const token = await accessTokens.sign(subject, now);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "PS256", kid: "new" });
    const [, payload, signature] = token.split(".");
    const relabelled = `${Buffer.from(JSON.stringify({ alg: "PS256", kid: "old", typ: "at+jwt" })).toString("base64url")}.${payload}.${signature}`;
    expect(await accessTokens.verify(relabelled, now)).toBeNull();
  });
});

/**
 * The algorithm a token names is never what decides how it is checked: each key verifies only its
 * own algorithm. Every forged token below is signed with a key that jose would accept for the named
 * algorithm, so only that pin refuses it (jose's own key-type check would not).
 */
describe("algorithm pinning: a token signed with another algorithm of a compatible key is refused", () => {
  const now = new Date("2026-11-28T12:00:00Z");
  const tokensOver = (keys: SigningKeys): AccessTokens =>
    createAccessTokens({ keys, issuer: "iss", audience: "aud", clientId: "c", ttlSeconds: 900, clockToleranceSeconds: 0, verifiedTokenCacheSize: 0 });
  /** Our claims and header, but the algorithm, key and kid the attacker chooses. */
  const forge = (alg: string, kid: string, key: CryptoKey | Uint8Array) =>
    new SignJWT({ sid: subject.sessionId, roles: subject.roles })
      .setProtectedHeader({ alg, kid, typ: "at+jwt" })
      .setIssuer("iss")
      .setAudience("aud")
      .setSubject(subject.userId)
      .setIssuedAt(now)
      .setExpirationTime(new Date(now.getTime() + 600_000))
      .setJti(crypto.randomUUID())
      .sign(key);

  it('refuses RFC 9864\'s "Ed25519" for an EdDSA key, signed with that very private key', async () => {
    const jwk = await generateSigningJwk();
    const keys = await createAsymmetricSigningKeys([jwk]);
    const accessTokens = tokensOver(keys);
    expect(await accessTokens.verify(await forge("EdDSA", jwk.kid, keys.signing.key), now)).not.toBeNull();
    expect(await accessTokens.verify(await forge("Ed25519", jwk.kid, keys.signing.key), now)).toBeNull();
  });

  it("refuses ES384 (a P-384 key) under the kid of our ES256 key, and EdDSA under it from a configured Ed25519 key", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const p256 = { ...(await exportJWK(privateKey)), kid: "p256" } as PrivateSigningJwk;
    const ed = { ...(await generateSigningJwk()), kid: "ed" };
    const keys = await createAsymmetricSigningKeys([p256, ed]);
    const accessTokens = tokensOver(keys);
    expect(await accessTokens.verify(await forge("ES256", "p256", keys.signing.key), now)).not.toBeNull();
    const p384 = await generateKeyPair("ES384");
    expect(await accessTokens.verify(await forge("ES384", "p256", p384.privateKey), now)).toBeNull();
    // Both algorithms are configured, but each only for its own key.
    const edOnly = await createAsymmetricSigningKeys([ed]);
    expect(await accessTokens.verify(await forge("EdDSA", "p256", edOnly.signing.key), now)).toBeNull();
    expect(await accessTokens.verify(await forge("EdDSA", "ed", edOnly.signing.key), now)).not.toBeNull();
  });

  it("refuses HS256 keyed with the public key (algorithm confusion), in every encoding of it", async () => {
    const jwk = await generateSigningJwk();
    const keys = await createAsymmetricSigningKeys([jwk]);
    const accessTokens = tokensOver(keys);
    const publicJwk = keys.publicJwks[0]!;
    for (const secret of [
      new TextEncoder().encode(JSON.stringify(publicJwk)),
      Buffer.from(jwk.x as string, "base64url"),
      new TextEncoder().encode(jwk.x as string),
    ]) {
      expect(await accessTokens.verify(await forge("HS256", jwk.kid, new Uint8Array(secret)), now)).toBeNull();
    }
  });

  it("refuses HS384 and HS512 made with our HS256 secret", async () => {
    const secret = "a-very-long-secret-of-at-least-32-bytes!";
    const keys = await createHmacSigningKeys(secret);
    const accessTokens = tokensOver(keys);
    const raw = new TextEncoder().encode(secret);
    expect(await accessTokens.verify(await forge("HS256", keys.signing.kid, raw), now)).not.toBeNull();
    for (const alg of ["HS384", "HS512"]) expect(await accessTokens.verify(await forge(alg, keys.signing.kid, raw), now)).toBeNull();
  });
});

/**
 * A JWT signed with our own key is not therefore an access token: its type, audience and issuer
 * must be ours and every claim requireAuth reads must be there. Each forgery below differs from the
 * accepted control in that one point only, so only that one check can refuse it (a refresh token,
 * being no JWT at all, would be refused by any parser and pin none of them).
 */
describe("a JWT of our key that is not one of our access tokens is refused", () => {
  const now = new Date("2026-11-28T12:00:00Z");
  type Forgery = { typ?: string | null; aud?: string; iss?: string; omit?: "sid" | "jti" | "sub" | "iat" | "exp"; roles?: unknown; claims?: Record<string, unknown> };
  async function setUp() {
    const keys = await createAsymmetricSigningKeys([await generateSigningJwk()]);
    const accessTokens = createAccessTokens({ keys, issuer: "https://auth.example", audience: "api", clientId: "c", ttlSeconds: 900, clockToleranceSeconds: 0, verifiedTokenCacheSize: 0 });
    const forge = ({ typ = "at+jwt", aud = "api", iss = "https://auth.example", omit, roles = ["user"], claims: extra = {} }: Forgery = {}) => {
      const claims: Record<string, unknown> = {
        iss,
        aud,
        sub: subject.userId,
        sid: subject.sessionId,
        jti: crypto.randomUUID(),
        roles,
        iat: Math.floor(now.getTime() / 1000),
        exp: Math.floor(now.getTime() / 1000) + 600,
        ...extra,
      };
      if (omit) delete claims[omit];
      const header = typ === null ? { alg: keys.signing.alg, kid: keys.signing.kid } : { alg: keys.signing.alg, kid: keys.signing.kid, typ };
      return new SignJWT(claims).setProtectedHeader(header).sign(keys.signing.key);
    };
    return { accessTokens, forge };
  }

  it("accepts the control: our type, audience, issuer and every claim", async () => {
    const { accessTokens, forge } = await setUp();
    expect(await accessTokens.verify(await forge(), now)).toMatchObject({ sub: subject.userId, sid: subject.sessionId, roles: ["user"] });
  });

  it.each<[string, Forgery]>([
    ["typ JWT (an ID token or any other JWT)", { typ: "JWT" }],
    ["typ rt+jwt (a refresh token's)", { typ: "rt+jwt" }],
    ["no typ", { typ: null }],
    ["another audience", { aud: "https://auth.example/refresh" }],
    ["another issuer", { iss: "https://other.example" }],
    ["no sid", { omit: "sid" }],
    ["no jti", { omit: "jti" }],
    ["no sub", { omit: "sub" }],
    ["no iat", { omit: "iat" }],
    ["no exp", { omit: "exp" }],
    ["roles that are not a list", { roles: "admin" }],
    ["roles that are not strings", { roles: [{ name: "admin" }] }],
    ["a sid that is not a string", { claims: { sid: 42 } }],
    ["a jti that is not a string", { claims: { jti: 42 } }],
    ["a sub that is not a string", { claims: { sub: 42 } }],
    ["an iat that is not a number", { claims: { iat: "2026-11-28" } }],
    ["an exp that is not a number", { claims: { exp: "2026-11-29" } }],
  ])("refuses %s", async (_label, forgery) => {
    const { accessTokens, forge } = await setUp();
    expect(await accessTokens.verify(await forge(forgery), now)).toBeNull();
  });

  it("hands amr and auth_time to the caller only when they are well formed", async () => {
    const { accessTokens, forge } = await setUp();
    const authTime = Math.floor(now.getTime() / 1000) - 60;
    const wellFormed = await accessTokens.verify(await forge({ claims: { amr: ["pwd", "otp", "mfa"], auth_time: authTime } }), now);
    expect(wellFormed).toMatchObject({ amr: ["pwd", "otp", "mfa"], auth_time: authTime });
    for (const claims of [{ amr: "pwd", auth_time: "yesterday" }, { amr: ["pwd", 7] }, {}]) {
      const verified = await accessTokens.verify(await forge({ claims }), now);
      expect(verified, JSON.stringify(claims)).not.toBeNull();
      expect(verified).not.toHaveProperty("amr");
      expect(verified).not.toHaveProperty("auth_time");
    }
  });
});

describe("the amr and auth_time an access token is signed with", () => {
  it("come back from verify(): the login's methods, and its auth_time (the signing time when none is given)", async () => {
    const keys = await createAsymmetricSigningKeys([await generateSigningJwk()]);
    const accessTokens = createAccessTokens({ keys, issuer: "https://auth.example", audience: "api", clientId: "c", ttlSeconds: 900, clockToleranceSeconds: 0, verifiedTokenCacheSize: 0 });
    const now = new Date("2026-11-28T12:00:00Z");
    const authTime = new Date("2026-11-28T11:58:20Z");
    const mfa = await accessTokens.sign({ ...subject, amr: ["pwd", "otp", "mfa"], authTime }, now);
    expect(await accessTokens.verify(mfa, now)).toMatchObject({ amr: ["pwd", "otp", "mfa"], auth_time: authTime.getTime() / 1000 });
    const plain = await accessTokens.sign(subject, now);
    expect(await accessTokens.verify(plain, now)).toMatchObject({ amr: ["pwd"], auth_time: now.getTime() / 1000 });
  });
});
