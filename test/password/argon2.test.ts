import { argon2d, argon2i, argon2id } from "hash-wasm";
import { describe, expect, it } from "vitest";
import {
  createArgon2idHasher,
  OWASP_ARGON2ID_PARAMS,
  parseArgon2idPhc,
  type Argon2Params,
} from "../../src/password/hasher.js";

// The real thing at the cost production uses: each hash here is ~60-80 ms of CPU.
const hasher = createArgon2idHasher();
const WEAK_PARAMS: Argon2Params = { memorySize: 4096, iterations: 1, parallelism: 1, hashLength: 32 };

describe("createArgon2idHasher", () => {
  it("hashes to an Argon2id PHC string at the OWASP parameters with a 16-byte salt", async () => {
    const phc = await hasher.hash("correct horse battery staple");

    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    const parsed = parseArgon2idPhc(phc);
    expect(parsed).toMatchObject({ version: 19, memorySize: 19_456, iterations: 2, parallelism: 1 });
    expect(parsed?.salt).toHaveLength(16);
    expect(parsed?.hash).toHaveLength(OWASP_ARGON2ID_PARAMS.hashLength);
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const phc = await hasher.hash("correct horse battery staple");

    expect(await hasher.verify(phc, "correct horse battery staple")).toEqual({ valid: true, needsRehash: false });
    expect(await hasher.verify(phc, "correct horse battery stapler")).toEqual({ valid: false, needsRehash: false });
    expect(await hasher.verify(phc, "")).toEqual({ valid: false, needsRehash: false });
  });

  it("handles non-ASCII passwords as UTF-8", async () => {
    const phc = await hasher.hash("pässwörd-密码-🔑");

    expect((await hasher.verify(phc, "pässwörd-密码-🔑")).valid).toBe(true);
    expect((await hasher.verify(phc, "passwörd-密码-🔑")).valid).toBe(false);
  });

  it("salts every hash: two hashes of one password differ and both verify", async () => {
    const [first, second] = await Promise.all([hasher.hash("same password"), hasher.hash("same password")]);

    expect(first).not.toBe(second);
    expect(parseArgon2idPhc(first)?.salt).not.toEqual(parseArgon2idPhc(second)?.salt);
    expect((await hasher.verify(first, "same password")).valid).toBe(true);
    expect((await hasher.verify(second, "same password")).valid).toBe(true);
  });

  it("asks for a rehash of a valid hash made with weaker parameters, and only then", async () => {
    const weakPhc = await createArgon2idHasher(WEAK_PARAMS).hash("upgrade me please");
    expect(weakPhc).toMatch(/^\$argon2id\$v=19\$m=4096,t=1,p=1\$/);

    expect(await hasher.verify(weakPhc, "upgrade me please")).toEqual({ valid: true, needsRehash: true });
    // A wrong password learns nothing, not even that the hash is old.
    expect(await hasher.verify(weakPhc, "wrong password")).toEqual({ valid: false, needsRehash: false });
  });

  it("asks for a rehash when any one of m or t is below the current parameters", async () => {
    const lowMemory = await createArgon2idHasher({ ...OWASP_ARGON2ID_PARAMS, memorySize: 8192 }).hash("pw-12345678");
    const lowTime = await createArgon2idHasher({ ...OWASP_ARGON2ID_PARAMS, iterations: 1 }).hash("pw-12345678");
    const stronger = await createArgon2idHasher({ ...OWASP_ARGON2ID_PARAMS, iterations: 3 }).hash("pw-12345678");

    expect(await hasher.verify(lowMemory, "pw-12345678")).toEqual({ valid: true, needsRehash: true });
    expect(await hasher.verify(lowTime, "pw-12345678")).toEqual({ valid: true, needsRehash: true });
    expect(await hasher.verify(stronger, "pw-12345678")).toEqual({ valid: true, needsRehash: false });
  });

  it("refuses a tampered hash", async () => {
    const phc = await hasher.hash("tamper-proof");
    // Change the hash's first character, not its last: the last base64 character of a 32-byte hash
    // carries two padding bits, so some changes there decode to the very same bytes.
    const hashStart = phc.lastIndexOf("$") + 1;
    const changed = phc[hashStart] === "A" ? "B" : "A";
    const tampered = phc.slice(0, hashStart) + changed + phc.slice(hashStart + 1);

    expect((await hasher.verify(tampered, "tamper-proof")).valid).toBe(false);
  });

  it("says not valid, without throwing, for garbage and for other algorithms", async () => {
    const salt = new Uint8Array(16).fill(7);
    const common = { password: "password1", salt, memorySize: 1024, iterations: 1, parallelism: 1, hashLength: 32 } as const;
    const argon2iPhc = await argon2i({ ...common, outputType: "encoded" });
    const argon2dPhc = await argon2d({ ...common, outputType: "encoded" });
    const argon2idPhc = await argon2id({ ...common, outputType: "encoded" });
    const [, , , , saltB64, hashB64] = argon2idPhc.split("$");
    const candidates = [
      "",
      "garbage",
      "$",
      "$argon2id$",
      "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
      argon2iPhc,
      argon2dPhc,
      argon2idPhc.replace("$v=19$", "$v=16$"),
      argon2idPhc.replace("$v=19$", ""),
      argon2idPhc.replace("m=1024,t=1,p=1", "t=1,m=1024,p=1"),
      argon2idPhc.replace("m=1024", "m=01024"),
      argon2idPhc.replace("m=1024", "m=99999999999999999999"),
      argon2idPhc.replace("m=1024", "m=4294967295"),
      argon2idPhc.replace("m=1024", "m=4"),
      argon2idPhc.replace("p=1", "p=0"),
      argon2idPhc.replace("t=1", "t=0"),
      argon2idPhc.replace("t=1", "t=-1"),
      argon2idPhc.replace("m=1024,t=1,p=1", "m=1024,t=1,p=1,keyid=abc"),
      `$argon2id$v=19$m=1024,t=1,p=1$${saltB64}`,
      `$argon2id$v=19$m=1024,t=1,p=1$$${hashB64}`,
      `$argon2id$v=19$m=1024,t=1,p=1$${saltB64}$!!!!`,
      `$argon2id$v=19$m=1024,t=1,p=1$${saltB64}$${hashB64}=`,
      `$argon2id$v=19$m=1024,t=1,p=1$${saltB64}$A`,
      `$argon2id$v=19$m=1024,t=1,p=1$AAAA$${hashB64}`,
      `${argon2idPhc}\n`,
      ` ${argon2idPhc}`,
      "$argon2id$v=19$m=1024,t=1,p=1$" + "A".repeat(4000) + "$" + hashB64,
    ];

    // The untouched argon2id string is valid: the cases above fail for what was changed.
    expect((await hasher.verify(argon2idPhc, "password1")).valid).toBe(true);
    for (const candidate of candidates) {
      expect(parseArgon2idPhc(candidate), candidate).toBeNull();
      await expect(hasher.verify(candidate, "password1"), candidate).resolves.toEqual({
        valid: false,
        needsRehash: false,
      });
    }
    await expect(hasher.verify(undefined as unknown as string, "password1")).resolves.toEqual({
      valid: false,
      needsRehash: false,
    });
  });

  it("refuses impossible parameters at creation", () => {
    expect(() => createArgon2idHasher({ ...OWASP_ARGON2ID_PARAMS, memorySize: 4 })).toThrow(RangeError);
    expect(() => createArgon2idHasher({ ...OWASP_ARGON2ID_PARAMS, iterations: 0 })).toThrow(RangeError);
    expect(() => createArgon2idHasher({ ...OWASP_ARGON2ID_PARAMS, parallelism: 1.5 })).toThrow(RangeError);
    expect(() => createArgon2idHasher({ ...OWASP_ARGON2ID_PARAMS, hashLength: 2 })).toThrow(RangeError);
  });
});
