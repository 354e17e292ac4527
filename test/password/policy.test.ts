import { dictionary } from "@zxcvbn-ts/language-common";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import {
  createPasswordPolicy,
  DEFAULT_PASSWORD_MIN_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_RULES,
  type PasswordPolicyResult,
  type PasswordRule,
} from "../../src/password/policy.js";

// Counts how often the policy reads the package's list, to prove it is loaded once and not per
// call; every other test sees the real list through this wrapper.
const reads = vi.hoisted(() => ({ passwordsCommon: 0 }));
vi.mock("@zxcvbn-ts/language-common", async (importOriginal) => {
  const real = await importOriginal<typeof import("@zxcvbn-ts/language-common")>();
  return {
    ...real,
    dictionary: {
      "diceware-common": real.dictionary["diceware-common"],
      get "passwords-common"() {
        reads.passwordsCommon++;
        return real.dictionary["passwords-common"];
      },
    },
  };
});

const policy = createPasswordPolicy();
const readsByTheFirstPolicy = reads.passwordsCommon;

/**
 * `n` code points of a varied alphabet (no entry of the blocklist, no symbol dominating, never
 * mostly invisible), so a length test is about length only. 63 distinct symbols: even at 257 no
 * symbol is more than 5 of them.
 */
function varied(n: number): string {
  const alphabet = "Kx7mQ2vR9wZb4NpT8sLc3HdY6fJg5kVr1tXq0GzWnBhM#%&*+=?@^_~!jyPuDeF";
  let text = "";
  for (let i = 0; i < n; i++) text += alphabet[i % alphabet.length];
  return text;
}

function codePoints(text: string): number {
  return [...text].length;
}

function refusedBy(result: PasswordPolicyResult): PasswordRule | "ok" {
  return result.ok ? "ok" : result.rule;
}

/** The whole answer of a refusal: the rule and the detail a client shows. */
function expectRefusal(password: string, rule: PasswordRule, detail: string): void {
  expect(policy.check(password)).toEqual({ ok: false, rule, detail });
}

describe("createPasswordPolicy", () => {
  it("defaults to the current contract: 8 to 256 code points", () => {
    expect(DEFAULT_PASSWORD_MIN_LENGTH).toBe(8);
    expect(PASSWORD_MAX_LENGTH).toBe(256);
    expect(policy.minLength).toBe(8);
    expect(policy.maxLength).toBe(256);
  });

  it("takes a higher minimum (NIST SP 800-63B rev. 4: 15 without MFA)", () => {
    const singleFactor = createPasswordPolicy({ minLength: 15 });
    expect(singleFactor.minLength).toBe(15);
    expect(singleFactor.check(varied(14))).toMatchObject({ ok: false, rule: "PASSWORD_TOO_SHORT", detail: "must be at least 15 characters" });
    expect(singleFactor.check(varied(15))).toEqual({ ok: true });
  });

  it.each([7, 0, -1, 8.5, 257, Number.NaN, Number.POSITIVE_INFINITY])("refuses minLength %s at creation", (minLength) => {
    expect(() => createPasswordPolicy({ minLength })).toThrow(RangeError);
  });

  it("loads the blocklist once per process, not per policy or per call", () => {
    expect(readsByTheFirstPolicy).toBe(1);
    // Other tests read the list themselves, so count from here.
    const before = reads.passwordsCommon;
    for (let i = 0; i < 3; i++) createPasswordPolicy({ minLength: 8 + i }).check(varied(20));
    for (let i = 0; i < 50; i++) policy.check("password");
    expect(reads.passwordsCommon).toBe(before);
  });
});

describe("length, in code points after NFKC", () => {
  const min = DEFAULT_PASSWORD_MIN_LENGTH;
  const max = PASSWORD_MAX_LENGTH;

  it.each([
    ["min - 1", min - 1, "PASSWORD_TOO_SHORT"],
    ["min", min, "ok"],
    ["min + 1", min + 1, "ok"],
    ["max - 1", max - 1, "ok"],
    ["max", max, "ok"],
    ["max + 1", max + 1, "PASSWORD_TOO_LONG"],
  ] as const)("%s (%i code points) → %s", (_label, length, expected) => {
    const password = varied(length);
    expect(codePoints(password)).toBe(length);
    expect(refusedBy(policy.check(password))).toBe(expected);
  });

  it("refuses the empty string as too short", () => {
    expect(policy.check("")).toEqual({ ok: false, rule: "PASSWORD_TOO_SHORT", detail: "must be at least 8 characters" });
  });

  it("counts an astral emoji as one character, not two UTF-16 units", () => {
    const sevenEmoji = "🐶🐱🐭🐹🐰🦊🐻";
    expect(sevenEmoji.length).toBe(14);
    expect(refusedBy(policy.check(sevenEmoji))).toBe("PASSWORD_TOO_SHORT");
    expect(refusedBy(policy.check(`${sevenEmoji}🐼`))).toBe("ok");
    expect(refusedBy(policy.check(`${varied(min - 2)}🐼`))).toBe("PASSWORD_TOO_SHORT");
    expect(refusedBy(policy.check(`${varied(min - 1)}🐼`))).toBe("ok");
    // 256 code points are 257 UTF-16 units here, and still allowed.
    expect(refusedBy(policy.check(`${varied(max - 1)}🐼`))).toBe("ok");
    expect(refusedBy(policy.check(`${varied(max)}🐼`))).toBe("PASSWORD_TOO_LONG");
  });

  it("measures the NFKC form, the one that is hashed", () => {
    // U+FB00 LATIN SMALL LIGATURE FF is one code point typed, two after NFKC.
    expect(refusedBy(policy.check("\uFB00Kx7mQ2"))).toBe("ok");
    // e + U+0301 COMBINING ACUTE composes to é: 8 code points typed, 7 hashed.
    expect(codePoints("Kx7mQ2e\u0301")).toBe(8);
    expect(refusedBy(policy.check("Kx7mQ2e\u0301"))).toBe("PASSWORD_TOO_SHORT");
  });

  it("refuses a huge input as too long without normalising it", () => {
    expect(refusedBy(policy.check(varied(8 * max + 1)))).toBe("PASSWORD_TOO_LONG");
    expect(refusedBy(policy.check("\uFDFA".repeat(1_000_000)))).toBe("PASSWORD_TOO_LONG");
    // Below the raw bound NFKC decides: 15 × U+FDFA is 15 code points typed, 270 after NFKC.
    expect(refusedBy(policy.check("\uFDFA".repeat(15)))).toBe("PASSWORD_TOO_LONG");
  });
});

describe("blocklist of common and breached passwords", () => {
  it.each(["password", "12345678", "qwertyuiop", "iloveyou123", "password1", "letmein123", "1qaz2wsx", "trustno1"])(
    "refuses %s",
    (password) => {
      expectRefusal(password, "PASSWORD_TOO_COMMON", "is too common: it appears in lists of common and breached passwords");
    },
  );

  it.each(["PASSWORD", "PassWord", "QWERTYUIOP", "ILoveYou123", "TrustNo1"])("compares case-insensitively: %s", (password) => {
    expect(refusedBy(policy.check(password))).toBe("PASSWORD_TOO_COMMON");
  });

  it.each([
    ["fullwidth letters", "ｐａｓｓｗｏｒｄ"],
    ["fullwidth capitals", "ＰＡＳＳＷＯＲＤ"],
    ["circled digits", "①②③④⑤⑥⑦⑧"],
    ["inner space", "pass word"],
    ["trailing space", "password "],
    ["zero-width space inside", "pass\u200Bword"],
    ["spaced words", "i love you"],
  ])("compares after NFKC and without invisible characters: %s", (_label, password) => {
    expect(refusedBy(policy.check(password))).toBe("PASSWORD_TOO_COMMON");
  });

  it("refuses every entry of the list that is long enough, in any case", () => {
    const entries = dictionary["passwords-common"].filter((entry) => codePoints(entry) >= DEFAULT_PASSWORD_MIN_LENGTH);
    expect(entries.length).toBeGreaterThan(10_000);
    const passed = entries.filter((entry) => policy.check(entry).ok || policy.check(entry.toUpperCase()).ok);
    expect(passed).toEqual([]);
  });

  it("refuses any mix of upper and lower case of a listed password", () => {
    const entries = dictionary["passwords-common"].filter((entry) => codePoints(entry) >= DEFAULT_PASSWORD_MIN_LENGTH);
    fc.assert(
      fc.property(fc.mixedCase(fc.constantFrom(...entries.slice(0, 2_000))), (password) => {
        expect(refusedBy(policy.check(password))).toBe("PASSWORD_TOO_COMMON");
      }),
      { numRuns: 300 },
    );
  });
});

describe("mostly invisible", () => {
  it.each([
    ["20 zero-width spaces", "\u200B".repeat(20)],
    ["20 zero-width joiners", "\u200D".repeat(20)],
    ["8 spaces", " ".repeat(8)],
    ["tabs and newlines", "\t\n\r\t\n\r\t\n"],
    ["ideographic spaces", "\u3000".repeat(10)],
    ["no-break spaces", "\u00A0".repeat(10)],
    ["Hangul fillers", "\u3164".repeat(10)],
    ["braille blanks", "\u2800".repeat(10)],
    ["bidi controls", "\u202E\u202D\u2066\u2067\u2068\u2069\u200E\u200F"],
    ["soft hyphens and word joiners", "\u00AD\u2060".repeat(5)],
    ["variation selectors", "\uFE00\uFE01\uFE02\uFE03\uFE04\uFE05\uFE06\uFE07"],
    ["tag characters", "\u{E0041}\u{E0042}\u{E0043}\u{E0044}\u{E0045}\u{E0046}\u{E0047}\u{E0048}"],
    ["NUL and other controls", "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007"],
    ["4 letters padded with 4 spaces", "Kx7m    "],
    ["4 letters padded with zero-width spaces", "Kx7m\u200B\u200B\u200B\u200B\u200B"],
    ["8 letters and 20 zero-width joiners", `${varied(8)}${"\u200D".repeat(20)}`],
    ["an emoji followed by joiners that glue nothing", `😀${"\u200D".repeat(20)}`],
  ])("refuses %s", (_label, password) => {
    expectRefusal(password, "PASSWORD_MOSTLY_INVISIBLE", "must not be mostly spaces, invisible or control characters");
  });
});

describe("a few characters repeated", () => {
  it.each([
    ["one letter", "aaaaaaaaaaaa"],
    ["two letters alternating", "xyxyxyxyxyxy"],
    ["four letters, repeated", "wxyzwxyzwxyz"],
    ["one emoji", "🔥🔥🔥🔥🔥🔥🔥🔥"],
    ["one emoji with its variation selector", "❤️❤️❤️❤️"],
    ["one ZWJ family twice", "👨‍👩‍👧‍👦👨‍👩‍👧‍👦"],
    ["one Chinese character", "哈哈哈哈哈哈哈哈"],
    ["half one letter", "zzzzK9x2"],
    ["mostly one letter", `${"z".repeat(20)}K9x2Qm`],
  ])("refuses %s", (_label, password) => {
    expectRefusal(password, "PASSWORD_TOO_REPETITIVE", "must not be made of a few characters repeated");
  });
});

describe("malformed text", () => {
  it.each([
    ["a lone high surrogate", "Kx7mQ2vR\uD800"],
    ["a lone low surrogate", "\uDC00Kx7mQ2vR"],
    ["reversed surrogates", "Kx7mQ2vR\uDE00\uD83D"],
  ])("refuses %s: UTF-8 would turn it into U+FFFD and different passwords into one hash", (_label, password) => {
    expect(refusedBy(policy.check(password))).toBe("PASSWORD_MALFORMED");
  });
});

describe("good passwords pass", () => {
  it.each([
    ["an English passphrase", "correct horse battery"],
    ["a longer one", "correct horse battery staple"],
    ["a random-looking one", "Kx7#mQ2!vR9&"],
    ["one-letter words", "a b c d e f g h"],
    ["Persian, with a zero-width non-joiner inside a word", "می‌خواهم کتاب بخوانم"],
    ["Persian", "من عاشق کتاب خواندن هستم"],
    ["Chinese", "我爱北京天安门广场"],
    ["Japanese", "わたしはねこがすきです"],
    ["Hindi, with combining vowel signs", "मुझे किताबें पसंद हैं"],
    ["Russian", "съешь же ещё этих булок"],
    ["Greek", "καλημέρα κόσμε"],
    ["emoji only", "🐶🐱🐭🐹🐰🦊🐻🐼"],
    ["four ZWJ emoji sequences (18 code points)", "🏳️‍⚧️🏳️‍🌈👁️‍🗨️🏴‍☠️"],
    ["flags, keycaps and skin tones", "🇮🇷🇯🇵1️⃣#️⃣👍🏽👋🏿🏴󠁧󠁢󠁳󠁣󠁴󠁿"],
    ["emoji and words", "my 🐶 is called 🍕 pizza"],
    ["the maximum length of a passphrase", "correct horse battery staple ".repeat(9).slice(0, 256)],
  ])("%s", (_label, password) => {
    expect(policy.check(password)).toEqual({ ok: true });
  });
});

describe("every answer", () => {
  it("is frozen and never contains the password", () => {
    const password = "Kx7m    ";
    const result = policy.check(password);
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(policy.check(varied(12)))).toBe(true);
    expect(JSON.stringify(result)).not.toContain("Kx7m");
  });

  it("is ok or one of the documented rules, for any string, without throwing", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (password) => {
        const result = policy.check(password);
        if (!result.ok) {
          expect(PASSWORD_RULES).toContain(result.rule);
          expect(result.detail.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("is the same for a password and its NFKC form", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 4, maxLength: 40 }), (password) => {
        expect(policy.check(password)).toEqual(policy.check(password.normalize("NFKC")));
      }),
      { numRuns: 300 },
    );
  });
});
