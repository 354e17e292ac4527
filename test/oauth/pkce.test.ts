import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "../../src/lib/constant-time.js";
import { S256_CHALLENGE, s256Challenge, verifierMatches } from "../../src/oauth/pkce.js";

/** PKCE's two checks (RFC 7636) and the comparison under them, at the edges a client can reach. */
describe("PKCE S256", () => {
  // RFC 7636 Appendix B.
  const RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

  it("computes RFC 7636's own example, and a verifier matches only its own challenge", async () => {
    expect(await s256Challenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
    expect(await verifierMatches(RFC_VERIFIER, RFC_CHALLENGE)).toBe(true);
    expect(await verifierMatches(`${RFC_VERIFIER.slice(0, -1)}Y`, RFC_CHALLENGE)).toBe(false);
    // `plain` is not accepted: the verifier itself is no challenge.
    expect(await verifierMatches(RFC_VERIFIER, RFC_VERIFIER)).toBe(false);
  });

  it("accepts verifiers of 43 to 128 unreserved characters", async () => {
    for (const verifier of ["a".repeat(43), "Z9-._~".repeat(20) + "abcdefgh", "A".repeat(128)]) {
      expect(await verifierMatches(verifier, await s256Challenge(verifier)), verifier).toBe(true);
    }
  });

  it("refuses a malformed verifier even when the challenge is its own digest", async () => {
    const malformed = [
      "a".repeat(42), // too short
      "a".repeat(129), // too long
      `${"a".repeat(42)}+`, // not unreserved
      `${"a".repeat(42)}=`,
      `${"a".repeat(42)} `,
      `!${"a".repeat(43)}`, // a valid verifier inside something else
      `${"a".repeat(43)}!`,
      `${"a".repeat(43)}\n`,
      "",
    ];
    for (const verifier of malformed) {
      expect(await verifierMatches(verifier, await s256Challenge(verifier)), JSON.stringify(verifier)).toBe(false);
    }
  });

  it("a challenge is exactly 43 base64url characters", () => {
    expect(S256_CHALLENGE.test(RFC_CHALLENGE)).toBe(true);
    expect(S256_CHALLENGE.test("-_".repeat(21) + "A")).toBe(true);
    for (const challenge of [RFC_CHALLENGE.slice(1), `${RFC_CHALLENGE}A`, `${RFC_CHALLENGE}=`, `${RFC_CHALLENGE.slice(1)}+`, `${RFC_CHALLENGE.slice(1)}/`, ` ${RFC_CHALLENGE}`, `${RFC_CHALLENGE}\n`, ""]) {
      expect(S256_CHALLENGE.test(challenge), JSON.stringify(challenge)).toBe(false);
    }
  });
});

describe("constantTimeEqual", () => {
  it("is true for equal strings only, wherever they differ", () => {
    expect(constantTimeEqual("", "")).toBe(true);
    expect(constantTimeEqual("abcdef", "abcdef")).toBe(true);
    for (const other of ["xbcdef", "abcxef", "abcdex", "ABCDEF", "abcde", "abcdefg", ""]) {
      expect(constantTimeEqual("abcdef", other), other).toBe(false);
      expect(constantTimeEqual(other, "abcdef"), other).toBe(false);
    }
  });

  it("tells apart characters whose codes share bits", () => {
    // 'a' (0x61) and 'c' (0x63), '@' (0x40) and '`' (0x60): an AND or an OR of the codes would miss these.
    expect(constantTimeEqual("a", "c")).toBe(false);
    expect(constantTimeEqual("@@", "``")).toBe(false);
    expect(constantTimeEqual("\u0101", "\u0001")).toBe(false);
  });
});
