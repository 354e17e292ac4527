import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { describe, expect, it } from "vitest";
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
    return createAccessTokens({ keys, issuer: "iss", audience: "aud", ttlSeconds: 900, clockToleranceSeconds: 5, verifiedTokenCacheSize });
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
    const accessTokens = createAccessTokens({ keys, issuer: "iss", audience: "aud", ttlSeconds: 60, clockToleranceSeconds: 0 });
    const token = await accessTokens.sign(subject, new Date());
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
    expect(header).toEqual({ alg: "HS256", kid: keys.signing.kid, typ: "at+jwt" });
    expect(token).not.toContain(Buffer.from(secret).toString("base64url").slice(0, 12));
    expect(accessTokens.jwks()).toEqual({ keys: [] });
    expect(await accessTokens.verify(token, new Date())).not.toBeNull();
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
    createAccessTokens({ keys, issuer: "iss", audience: "aud", ttlSeconds: 900, clockToleranceSeconds: 0, verifiedTokenCacheSize: 0 });
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
      Buffer.from(jwk.x, "base64url"),
      new TextEncoder().encode(jwk.x),
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
