import { dictionary } from "@zxcvbn-ts/language-common";

/**
 * The rules a NEW password must meet: on register, change and reset, never on login (a login must
 * not reveal the rules, nor lock out an account whose password predates them).
 *
 * NIST SP 800-63B: length and a blocklist, no composition rules ("one digit, one symbol"), since
 * those push people to `Password1!` without making guessing harder. What is added here is the one
 * structural rule a length count cannot see: a password that is mostly invisible or one symbol
 * repeated meets any minimum length and is still guessed at once (or cannot be typed again by its
 * owner, who saw nothing).
 *
 * Every rule works on the NFKC form of the password, the form that is hashed
 * (`normalisePassword` in src/services/auth-service.ts), so that what is measured is what is stored:
 * `ｐａｓｓｗｏｒｄ` (fullwidth) is `password`, `ﬀ` is two letters. NFKC is idempotent, so callers
 * may pass the password raw or already normalised.
 *
 * Pure: no I/O, nothing read from the environment. The one piece of module state is the blocklist
 * Set below, built once and never mutated or handed out.
 */

/** NIST SP 800-63B rev. 4 §3.1.1.2: verifiers SHOULD permit at least 64; 256 is the service's contract. */
export const PASSWORD_MAX_LENGTH = 256;

/**
 * The current contract (and NIST SP 800-63B rev. 4's floor): 8 code points. Rev. 4 asks for 15
 * when the password is the only factor and allows 8 when it is used with another factor (MFA);
 * a deployment without MFA should configure 15.
 */
export const DEFAULT_PASSWORD_MIN_LENGTH = 8;

/** The stable codes a refusal carries; the route answers each as a 400 problem with this code. */
export const PASSWORD_RULES = [
  "PASSWORD_TOO_SHORT",
  "PASSWORD_TOO_LONG",
  "PASSWORD_MALFORMED",
  "PASSWORD_MOSTLY_INVISIBLE",
  "PASSWORD_TOO_REPETITIVE",
  "PASSWORD_TOO_COMMON",
] as const;

export type PasswordRule = (typeof PASSWORD_RULES)[number];

/** `detail` is a fixed sentence for the client; it never contains the password. */
export type PasswordPolicyResult = { ok: true } | { ok: false; rule: PasswordRule; detail: string };

export interface PasswordPolicyOptions {
  /**
   * Minimum length in code points after NFKC, an integer from 8 to 256; 8 by default. NIST SP
   * 800-63B rev. 4: 15 for a password that is the only factor, 8 when used with MFA.
   */
  minLength?: number;
}

export interface PasswordPolicy {
  /** The bounds in force, for the API description (`minLength`/`maxLength` in OpenAPI). */
  readonly minLength: number;
  readonly maxLength: number;
  check(password: string): PasswordPolicyResult;
}

/**
 * Code points that show nothing: controls (Cc), format characters (Cf: zero-width space and joiners,
 * bidi controls, soft hyphen, BOM, tags), every space and line/paragraph separator (Z*, White_Space),
 * the default-ignorables (variation selectors, Hangul fillers, the combining grapheme joiner, which
 * fonts render as nothing) and U+2800 BRAILLE PATTERN BLANK, the usual "invisible" character that
 * belongs to none of those classes.
 */
const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Z}\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800]$/u;
const INVISIBLE_GLOBAL = /[\p{Cc}\p{Cf}\p{Z}\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/**
 * One symbol as a person sees it: a whole emoji sequence (`\p{RGI_Emoji}`: ZWJ families, flags,
 * keycaps, skin tones, each with the joiners and variation selectors that glue it) or else one code
 * point. Without this, `🏳️‍⚧️` would be 3 invisible code points out of 5 and an emoji-only password
 * would be refused as mostly invisible. A joiner that glues nothing (`a` + 20 × U+200D) is not part
 * of any RGI sequence, so it is still counted as invisible. Built with the constructor because the
 * `v` flag is ES2024 (Node 20 and Bun have it; TypeScript's ES2022 target would refuse the literal).
 * An emoji newer than the runtime's Unicode tables falls back to code points: at worst its joiners
 * count as invisible, which only matters for a password made of nothing else.
 */
const SYMBOL = new RegExp(String.raw`\p{RGI_Emoji}|.`, "gsv");

/** An unpaired UTF-16 surrogate: not Unicode text. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The structural thresholds, in symbols (see SYMBOL):
 *
 * - Half or more invisible: a readable password of any script is mostly letters, digits or
 *   emoji. Spaces in an English passphrase are about one symbol in six (`correct horse battery`:
 *   2 of 21); Persian adds a zero-width non-joiner inside some words and stays far below a half.
 *   Even one-letter words (`a b c d e f g h`: 7 of 15) stay under it; 20 zero-width spaces, or 4
 *   letters padded with 4 spaces to reach 8, do not.
 * - Fewer than 5 distinct symbols, some of them repeated: such a password is a pattern, not a secret (`11112222`,
 *   `abababab`, `12341234`, `🔥🔥🔥🔥🔥🔥🔥🔥`), and repeats and alternations of a few symbols are what
 *   guessers enumerate first, right after the lists. Any natural-language passphrase of 8 or more
 *   symbols, in any script, uses more than 4 distinct ones (`correct horse battery` uses 11,
 *   `我爱北京天安门广场` 9).
 * - One symbol making up half of the password or more (`aaaaaaaaaaaaaaaaaaaab2c4`, `aaaa1234`):
 *   mostly one repeated character. The commonest symbol of a real passphrase, usually the space or
 *   `e`, is far below.
 */
const MAX_INVISIBLE_SHARE = 0.5;
const MIN_DISTINCT_SYMBOLS = 5;
const MAX_SINGLE_SYMBOL_SHARE = 0.5;

/**
 * Refused as too long before NFKC is even computed, so a huge input costs nothing (NFKC can also
 * expand a code point up to 18-fold, U+FDFA). No canonical composition folds more than 4 code points
 * into one (the longest canonical decomposition, e.g. U+1F82, is 4), and a code point is at most 2
 * UTF-16 units, so a string longer than 8 × 256 UTF-16 units is over 256 code points after NFKC.
 */
const MAX_RAW_UTF16_LENGTH = 8 * PASSWORD_MAX_LENGTH;

const DETAILS = {
  PASSWORD_TOO_LONG: `must be at most ${PASSWORD_MAX_LENGTH} characters`,
  PASSWORD_MALFORMED: "must be Unicode text (it contains an unpaired UTF-16 surrogate)",
  PASSWORD_MOSTLY_INVISIBLE: "must not be mostly spaces, invisible or control characters",
  PASSWORD_TOO_REPETITIVE: "must not be made of a few characters repeated",
  PASSWORD_TOO_COMMON: "is too common: it appears in lists of common and breached passwords",
} as const satisfies Record<Exclude<PasswordRule, "PASSWORD_TOO_SHORT">, string>;

const OK: PasswordPolicyResult = Object.freeze({ ok: true });

/**
 * @zxcvbn-ts/language-common's `passwords-common` list (about 49,000 entries, lower-case ASCII,
 * ranked from leaked password sets), shipped inside the package: nothing is fetched at run time.
 * Built into a Set the first time a policy is created, then shared by every policy: one Set per
 * process, about 13 ms to build and a few MiB, never rebuilt per call. (The package itself expands
 * its compressed word lists when it is imported, about 80 ms once per process.) Entries get the same
 * NFKC + lower-case as the candidate, so the comparison stays right whatever a later list contains.
 */
let commonPasswords: ReadonlySet<string> | undefined;

function commonPasswordSet(): ReadonlySet<string> {
  commonPasswords ??= new Set(dictionary["passwords-common"].map(foldForBlocklist));
  return commonPasswords;
}

/** Case-insensitive comparison: `Password`, `PASSWORD` and `password` are the same guess. */
function foldForBlocklist(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}

/** Throws a RangeError at creation for a bad `minLength`: a configuration error fails the start. */
export function createPasswordPolicy(options: PasswordPolicyOptions = {}): PasswordPolicy {
  const minLength = options.minLength ?? DEFAULT_PASSWORD_MIN_LENGTH;
  if (!Number.isInteger(minLength) || minLength < DEFAULT_PASSWORD_MIN_LENGTH || minLength > PASSWORD_MAX_LENGTH) {
    throw new RangeError(
      `password minLength must be an integer from ${DEFAULT_PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH}, got ${minLength}`,
    );
  }
  const blocklist = commonPasswordSet();
  // Built once per policy and frozen, so a caller can neither mutate a shared answer nor pay for one.
  const details: Record<PasswordRule, string> = { ...DETAILS, PASSWORD_TOO_SHORT: `must be at least ${minLength} characters` };
  const refusal = Object.fromEntries(
    PASSWORD_RULES.map((rule) => [rule, Object.freeze({ ok: false, rule, detail: details[rule] })]),
  ) as Record<PasswordRule, PasswordPolicyResult>;

  return {
    minLength,
    maxLength: PASSWORD_MAX_LENGTH,
    check(input) {
      if (input.length > MAX_RAW_UTF16_LENGTH) return refusal.PASSWORD_TOO_LONG;
      const password = input.normalize("NFKC");
      if (LONE_SURROGATE.test(password)) return refusal.PASSWORD_MALFORMED;

      // Code points, not UTF-16 units: an astral emoji is one character, as the contract says.
      let length = 0;
      for (const _ of password) length++;
      if (length < minLength) return refusal.PASSWORD_TOO_SHORT;
      if (length > PASSWORD_MAX_LENGTH) return refusal.PASSWORD_TOO_LONG;

      const symbols = password.match(SYMBOL) ?? [];
      let invisible = 0;
      const counts = new Map<string, number>();
      for (const symbol of symbols) {
        if (INVISIBLE.test(symbol)) invisible++;
        counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
      }
      if (invisible >= symbols.length * MAX_INVISIBLE_SHARE) return refusal.PASSWORD_MOSTLY_INVISIBLE;

      // Also without its invisible characters: `pass word`, `password ` and `pass\u200Bword` are
      // the same guess as `password`, and `i love you` is `iloveyou`.
      const folded = foldForBlocklist(password);
      if (blocklist.has(folded) || blocklist.has(folded.replace(INVISIBLE_GLOBAL, ""))) {
        return refusal.PASSWORD_TOO_COMMON;
      }

      const mostFrequent = Math.max(...counts.values());
      // Few distinct symbols matter only when some repeat: four different ZWJ emoji (`🏳️‍⚧️🏳️‍🌈👁️‍🗨️🏴‍☠️`,
      // 18 code points) are four choices from thousands, not a pattern.
      const fewRepeated = counts.size < MIN_DISTINCT_SYMBOLS && counts.size < symbols.length;
      if (fewRepeated || mostFrequent >= symbols.length * MAX_SINGLE_SYMBOL_SHARE) {
        return refusal.PASSWORD_TOO_REPETITIVE;
      }
      return OK;
    },
  };
}
