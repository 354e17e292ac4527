import { describe, expect, it } from "vitest";
import { TOTP, Secret } from "otpauth";
import { createSqlMfaStore } from "../../src/mfa/sql-store.js";
import { createSecretBox, generateMfaEncryptionKey } from "../../src/mfa/secret-box.js";
import { generateTotpSecret, matchTotpStep, totpSecretBase32, totpUri } from "../../src/mfa/totp.js";
import { createRecoveryCode, hashRecoveryCode, normaliseRecoveryCode } from "../../src/mfa/recovery-codes.js";
import { describeMfaStoreContract } from "../contracts/mfa-store.contract.js";
import { createTestPglite, createTestPostgres, sqlStoreContext, testDatabaseUrl } from "../helpers/backends.js";

describeMfaStoreContract("SQL on PGlite", async () => sqlStoreContext(await createTestPglite(), createSqlMfaStore));

describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describeMfaStoreContract("SQL on PostgreSQL", async () => sqlStoreContext(await createTestPostgres(), createSqlMfaStore));
});

describe("the TOTP secret box", () => {
  it("opens what it sealed, for the same user only, and never under another key", async () => {
    const box = createSecretBox(generateMfaEncryptionKey());
    const secret = generateTotpSecret();
    const sealed = await box.seal(secret, "user-1");
    expect(sealed).not.toContain(totpSecretBase32(secret));
    expect(await box.open(sealed, "user-1")).toEqual(secret);
    expect(await box.open(sealed, "user-2")).toBeNull();
    expect(await createSecretBox(generateMfaEncryptionKey()).open(sealed, "user-1")).toBeNull();
    expect(await box.open("v1.garbage", "user-1")).toBeNull();
    // A fresh nonce each time: the same secret never seals to the same text.
    expect(await box.seal(secret, "user-1")).not.toBe(sealed);
  });
});

describe("TOTP codes", () => {
  const secret = generateTotpSecret();
  const app = new TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: Secret.fromBase32(totpSecretBase32(secret)) });
  const at = new Date(Date.UTC(2026, 11, 2, 12, 0, 15));
  const step = Math.floor(at.getTime() / 30_000);

  it("match the authenticator app's code of the step, and ±1 step, not ±2", () => {
    expect(matchTotpStep(secret, app.generate({ timestamp: at.getTime() }), at)).toBe(step);
    expect(matchTotpStep(secret, app.generate({ timestamp: at.getTime() - 30_000 }), at)).toBe(step - 1);
    expect(matchTotpStep(secret, app.generate({ timestamp: at.getTime() + 30_000 }), at)).toBe(step + 1);
    expect(matchTotpStep(secret, app.generate({ timestamp: at.getTime() - 60_000 }), at)).toBeNull();
    expect(matchTotpStep(secret, app.generate({ timestamp: at.getTime() + 60_000 }), at)).toBeNull();
    expect(matchTotpStep(secret, "12345", at)).toBeNull();
    expect(matchTotpStep(secret, "abcdef", at)).toBeNull();
  });

  it("come with an otpauth URI apps read: SHA1, 6 digits, 30 s", () => {
    const uri = new URL(totpUri(secret, "auth-service", "someone@example.com"));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(totpSecretBase32(secret));
    expect(uri.searchParams.get("algorithm")).toBe("SHA1");
    expect(uri.searchParams.get("digits")).toBe("6");
    expect(uri.searchParams.get("period")).toBe("30");
    expect(uri.searchParams.get("issuer")).toBe("auth-service");
  });
});

describe("recovery codes", () => {
  it("carry 80 random bits, read back whatever the case and hyphens, and hash per user", async () => {
    const codes = new Set(Array.from({ length: 1000 }, () => createRecoveryCode()));
    expect(codes.size).toBe(1000);
    const [code] = codes;
    expect(code).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    const normalised = normaliseRecoveryCode(code!.toUpperCase().replaceAll("-", " "));
    expect(normalised).toBe(code!.replaceAll("-", ""));
    expect(normaliseRecoveryCode("too-short")).toBeNull();
    expect(await hashRecoveryCode("u1", normalised!)).not.toBe(await hashRecoveryCode("u2", normalised!));
    expect(await hashRecoveryCode("u1", normalised!)).not.toContain(normalised!);
  });
});
