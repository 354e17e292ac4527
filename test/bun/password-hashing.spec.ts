/**
 * Password hashing on Bun, run by `bun test` (CI: `npx bun test ./test/bun/`; Bun maps the
 * `vitest` imports onto bun:test): the native hasher loads, the hash-wasm worker pool runs its
 * reused instances in Bun's worker threads and hashes two at a time, and both read each
 * other's PHC strings. The full suites run on Node under vitest (test/password/).
 * Named .spec.ts so that vitest (which runs *.test.ts) leaves it to bun test.
 */
import { argon2id } from "hash-wasm";
import { afterAll, describe, expect, it } from "vitest";
import { compileHashWasmArgon2, createReusableArgon2id } from "../../src/password/argon2-wasm.js";
import { OWASP_ARGON2ID_PARAMS, type PasswordHasher } from "../../src/password/hasher.js";
import { readHashWasmArgon2Bundle } from "../../src/password/hash-wasm-bundle.js";
import { createPasswordHasher } from "../../src/password/index.js";
import { expectRunsAtOnce } from "../password/scheduling-checks.js";

const opened: PasswordHasher[] = [];
afterAll(async () => {
  await Promise.all(opened.map((hasher) => hasher.close()));
});

describe("password hashing on Bun", () => {
  it("the reused hash-wasm instance equals hash-wasm's argon2id() byte for byte", async () => {
    const reused = await createReusableArgon2id(await compileHashWasmArgon2(await readHashWasmArgon2Bundle()), {
      maxReusedMemoryKib: OWASP_ARGON2ID_PARAMS.memorySize,
    });
    const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    for (const params of [OWASP_ARGON2ID_PARAMS, { memorySize: 96, iterations: 3, parallelism: 3, hashLength: 100 }]) {
      const input = { ...params, password: new TextEncoder().encode("pässwörd"), salt: crypto.getRandomValues(new Uint8Array(16)) };
      expect(hex(await reused(input))).toBe(await argon2id({ ...input, outputType: "hex" }));
    }
  });

  it("auto loads @node-rs/argon2, and it and the hash-wasm pool verify each other's hashes", async () => {
    const native = await createPasswordHasher({ implementation: "auto", maxQueue: 16 });
    const wasm = await createPasswordHasher({ implementation: "wasm", concurrency: 2, maxQueue: 16 });
    opened.push(native.hasher, wasm.hasher);
    expect(native.implementation).toBe("native");
    expect(wasm.implementation).toBe("wasm");

    const fromNative = await native.hasher.hash("correct horse battery staple");
    const fromWasm = await wasm.hasher.hash("correct horse battery staple");
    expect(await wasm.hasher.verify(fromNative, "correct horse battery staple")).toEqual({ valid: true, needsRehash: false });
    expect(await native.hasher.verify(fromWasm, "correct horse battery staple")).toEqual({ valid: true, needsRehash: false });
    expect(await native.hasher.verify(fromWasm, "wrong")).toEqual({ valid: false, needsRehash: false });
  });

  it("the hash-wasm pool of 2 worker threads runs 2 hashes at once", async () => {
    // That they run off the event loop is pinned on Node (test/password/pool.test.ts): Bun's
    // performance.eventLoopUtilization() answers zeros. Here: both lanes take a hash at once.
    const unqueued = await createPasswordHasher({ implementation: "wasm", concurrency: 2, maxQueue: 0 });
    opened.push(unqueued.hasher);
    await expectRunsAtOnce(unqueued.hasher, 2);
  }, 30_000);
});
