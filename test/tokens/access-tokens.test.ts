import { describe, expect, it } from "vitest";
import { createAccessTokens, createAsymmetricSigningKeys, createHmacSigningKeys, generateSigningJwk } from "../../src/tokens/jwt.js";

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
