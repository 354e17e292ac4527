import fc from "fast-check";
import { argon2id } from "hash-wasm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  compileHashWasmArgon2,
  createReusableArgon2id,
  type WasmModule,
} from "../../src/password/argon2-wasm.js";
import {
  createArgon2idHasher,
  hashWasmArgon2id,
  OWASP_ARGON2ID_PARAMS,
  type Argon2idFunction,
  type Argon2idInput,
} from "../../src/password/hasher.js";
import { readHashWasmArgon2Bundle } from "../../src/password/hash-wasm-bundle.js";

let module: WasmModule;
beforeAll(async () => {
  module = await compileHashWasmArgon2(await readHashWasmArgon2Bundle());
});

const encoder = new TextEncoder();
/** The global WebAssembly object, which this project's TypeScript libs declare only as types. */
const webAssembly = (globalThis as unknown as { WebAssembly: { instantiate: (...args: unknown[]) => Promise<unknown> } }).WebAssembly;
const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

/** hash-wasm's own argon2id(), in hex: the reference every output here must equal. */
async function reference(input: Argon2idInput): Promise<string> {
  return argon2id({ ...input, outputType: "hex" });
}

describe("compileHashWasmArgon2", () => {
  it("finds the Argon2 binary in hash-wasm's bundle by its exports", async () => {
    const bundle = await readHashWasmArgon2Bundle();
    // The bundle holds two binaries (Argon2 and BLAKE2b); the BLAKE2b one alone is not taken.
    const literals = [...bundle.matchAll(/"(AGFzbQ[A-Za-z0-9+/]+={0,2})"/g)].map((match) => match[0]);
    expect(literals).toHaveLength(2);
    const found = await Promise.allSettled(literals.map((literal) => compileHashWasmArgon2(`x=${literal};`)));
    expect(found.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    await expect(compileHashWasmArgon2("no WebAssembly here")).rejects.toThrow(/not found/);
  });
});

describe("createReusableArgon2id (one hash-wasm instance, reused)", () => {
  it("equals hash-wasm's argon2id() byte for byte at the OWASP cost, hash after hash", async () => {
    const reused = await createReusableArgon2id(module, { maxReusedMemoryKib: OWASP_ARGON2ID_PARAMS.memorySize });
    for (const password of ["correct horse battery staple", "pässwörd-密码-🔑", "x"]) {
      const input = { ...OWASP_ARGON2ID_PARAMS, password: encoder.encode(password), salt: crypto.getRandomValues(new Uint8Array(16)) };
      expect(hex(await reused(input))).toBe(await reference(input));
    }
  });

  it("equals hash-wasm's argon2id() for any parameters, in any order on one instance", async () => {
    // One instance for the whole run: every case starts from the memory the previous one left,
    // larger or smaller (hash-wasm's code XORs into memory it expects zeroed).
    const reused = await createReusableArgon2id(module, { maxReusedMemoryKib: 1024 });
    const inputs = fc
      .record({
        password: fc.uint8Array({ minLength: 1, maxLength: 80 }),
        salt: fc.uint8Array({ minLength: 8, maxLength: 40 }),
        parallelism: fc.integer({ min: 1, max: 4 }),
        memoryPerLane: fc.integer({ min: 8, max: 300 }),
        iterations: fc.integer({ min: 1, max: 3 }),
        hashLength: fc.oneof(fc.integer({ min: 4, max: 70 }), fc.integer({ min: 60, max: 200 })),
      })
      .map(({ memoryPerLane, ...rest }) => ({ ...rest, memorySize: memoryPerLane * rest.parallelism }));
    await fc.assert(
      fc.asyncProperty(inputs, async (input) => {
        expect(hex(await reused(input))).toBe(await reference(input));
      }),
      { numRuns: 60 },
    );
  });

  it("hands a hash needing more memory than it keeps to hash-wasm's one-off instance, with the same result", async () => {
    const reused = await createReusableArgon2id(module, { maxReusedMemoryKib: 256 });
    const salt = new Uint8Array(16).fill(9);
    for (const memorySize of [2048, 128, 4096, 256]) {
      const input = { password: encoder.encode("pw"), salt, memorySize, iterations: 1, parallelism: 1, hashLength: 32 };
      expect(hex(await reused(input))).toBe(await reference(input));
    }
  });

  it("makes PHC strings that the plain hash-wasm hasher verifies, and verifies its strings", async () => {
    const reused = createArgon2idHasher(OWASP_ARGON2ID_PARAMS, {
      argon2id: await createReusableArgon2id(module, { maxReusedMemoryKib: OWASP_ARGON2ID_PARAMS.memorySize }),
    });
    const plain = createArgon2idHasher();

    expect(await plain.verify(await reused.hash("tr0ub4dor&3"), "tr0ub4dor&3")).toEqual({ valid: true, needsRehash: false });
    expect(await reused.verify(await plain.hash("tr0ub4dor&3"), "tr0ub4dor&3")).toEqual({ valid: true, needsRehash: false });
    expect(await reused.verify(await plain.hash("tr0ub4dor&3"), "tr0ub4dor&4")).toEqual({ valid: false, needsRehash: false });
  });

  // The root cause of hash-wasm not scaling over threads (bench/ARGON2-SCALING.md): every call
  // instantiates its module anew, mapping and faulting in a fresh ~19 MiB memory. This pins the fix
  // by what it does, not by what it costs: a reused instance instantiates nothing per hash.
  it("instantiates no WebAssembly per hash, where hash-wasm's argon2id() instantiates its module every time", async () => {
    const reused = await createReusableArgon2id(module, { maxReusedMemoryKib: OWASP_ARGON2ID_PARAMS.memorySize });
    const input = { ...OWASP_ARGON2ID_PARAMS, password: encoder.encode("pw"), salt: new Uint8Array(16) };
    const instantiationsOver = async (argon2: Argon2idFunction) => {
      await argon2(input); // warm: whatever is made once is made here
      const spy = vi.spyOn(webAssembly, "instantiate");
      try {
        for (let i = 0; i < 4; i++) await argon2(input);
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };

    expect(await instantiationsOver(reused)).toBe(0);
    expect(await instantiationsOver(hashWasmArgon2id)).toBeGreaterThanOrEqual(4);
  });
});
