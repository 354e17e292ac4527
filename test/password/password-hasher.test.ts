import { hash as nodeRsHash, verify as nodeRsVerify } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import {
  createArgon2idHasher,
  OWASP_ARGON2ID_PARAMS,
  PasswordHasherBusyError,
  type Argon2Params,
} from "../../src/password/hasher.js";
import { loadNativeArgon2id } from "../../src/password/native.js";
import { availableCores, createPasswordHasher } from "../../src/password/index.js";
import { FAST_ARGON2_PARAMS, trackHashers } from "../helpers/hashers.js";
import { expectBurstRefusedAtOnce, expectHashesOffTheEventLoop, expectRunsAtOnce } from "./scheduling-checks.js";

const WEAK_PARAMS: Argon2Params = { ...OWASP_ARGON2ID_PARAMS, memorySize: 4096, iterations: 1 };

const track = trackHashers();

const missingNative = async () => {
  throw new Error("Cannot find module '@node-rs/argon2-linux-x64-gnu'");
};

describe("native (@node-rs/argon2) and wasm (hash-wasm) hashers", () => {
  it("each verifies the other's hashes, and they agree on needsRehash", async () => {
    const native = createArgon2idHasher(OWASP_ARGON2ID_PARAMS, { argon2id: await loadNativeArgon2id() });
    const wasm = createArgon2idHasher(OWASP_ARGON2ID_PARAMS);

    for (const [maker, checker] of [
      [native, wasm],
      [wasm, native],
    ] as const) {
      const phc = await maker.hash("correct horse battery staple");
      expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
      expect(await checker.verify(phc, "correct horse battery staple")).toEqual({ valid: true, needsRehash: false });
      expect(await checker.verify(phc, "correct horse battery stapler")).toEqual({ valid: false, needsRehash: false });
    }

    // A hash made at weaker parameters by either: both ask for a rehash on the right password only.
    for (const argon2id of [await loadNativeArgon2id(), undefined]) {
      const weak = await createArgon2idHasher(WEAK_PARAMS, argon2id ? { argon2id } : {}).hash("upgrade me");
      for (const checker of [native, wasm]) {
        expect(await checker.verify(weak, "upgrade me")).toEqual({ valid: true, needsRehash: true });
        expect(await checker.verify(weak, "not me")).toEqual({ valid: false, needsRehash: false });
      }
    }
  });

  it("reads and writes the PHC strings @node-rs/argon2 itself writes and reads", async () => {
    const wasm = createArgon2idHasher(OWASP_ARGON2ID_PARAMS);
    // Its own hash(), PHC formatting and all (algorithm 2 = Argon2id, its default).
    const theirs = await nodeRsHash("pässwörd-密码-🔑", { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 });
    expect(await wasm.verify(theirs, "pässwörd-密码-🔑")).toEqual({ valid: true, needsRehash: false });
    expect(await nodeRsVerify(await wasm.hash("pässwörd-密码-🔑"), "pässwörd-密码-🔑")).toBe(true);
    expect(await nodeRsVerify(await wasm.hash("pässwörd-密码-🔑"), "passwörd-密码-🔑")).toBe(false);
  });
});

describe("createPasswordHasher (PASSWORD_HASHER)", () => {
  it("auto takes the native hasher when it loads, one hash per core by default", async () => {
    const created = await createPasswordHasher({ implementation: "auto", maxQueue: 8 });
    track(created.hasher);
    expect(created).toMatchObject({ implementation: "native", concurrency: availableCores() });
    expect(created.nativeUnavailable).toBeUndefined();
    expect((await created.hasher.verify(await created.hasher.hash("pw-1"), "pw-1")).valid).toBe(true);
  });

  it("auto falls back to the hash-wasm worker pool, and says why, when the native one does not load", async () => {
    const created = await createPasswordHasher({ implementation: "auto", concurrency: 1, maxQueue: 8, params: FAST_ARGON2_PARAMS, loadNative: missingNative });
    track(created.hasher);
    expect(created).toMatchObject({ implementation: "wasm", concurrency: 1, nativeUnavailable: expect.stringContaining("Cannot find module") });
    expect((await created.hasher.verify(await created.hasher.hash("pw-2"), "pw-2")).valid).toBe(true);
  });

  it("native refuses to start without the native hasher; wasm never tries it", async () => {
    await expect(createPasswordHasher({ implementation: "native", maxQueue: 8, loadNative: missingNative })).rejects.toThrow(
      /PASSWORD_HASHER=native.*Cannot find module/,
    );
    let tried = false;
    const created = await createPasswordHasher({
      implementation: "wasm",
      concurrency: 1,
      maxQueue: 8,
      params: FAST_ARGON2_PARAMS,
      loadNative: async () => {
        tried = true;
        return loadNativeArgon2id();
      },
    });
    track(created.hasher);
    expect(created.implementation).toBe("wasm");
    expect(tried).toBe(false);
  });

  it("bounds the native queue like the worker pool: past it, PasswordHasherBusyError at once", async () => {
    const { hasher } = await createPasswordHasher({ implementation: "native", concurrency: 1, maxQueue: 2 });
    track(hasher);
    await expectBurstRefusedAtOnce(hasher);
  });

  it("runs 2 native hashes at once with a concurrency of 2, off the event loop", async () => {
    const { hasher } = await createPasswordHasher({ implementation: "native", concurrency: 2, maxQueue: 16 });
    track(hasher);
    await Promise.all([hasher.hash("warm up"), hasher.hash("warm up")]);
    await expectHashesOffTheEventLoop(hasher, 8);
    const unqueued = await createPasswordHasher({ implementation: "native", concurrency: 2, maxQueue: 0 });
    track(unqueued.hasher);
    await expectRunsAtOnce(unqueued.hasher, 2);
  });
});

describe("PASSWORD_HASHER and PASSWORD_HASH_WORKERS in the config", () => {
  it("default to auto and to one per core (left to the runtime layer)", () => {
    expect(loadConfig({}).passwordHashing).toEqual({ hasher: "auto", workers: undefined, maxQueue: 64, maxPerClient: 4 });
    expect(loadConfig({ PASSWORD_HASHER: "wasm", PASSWORD_HASH_WORKERS: "3" }).passwordHashing).toMatchObject({
      hasher: "wasm",
      workers: 3,
    });
  });

  it("refuse anything else, naming the variable", () => {
    expect(() => loadConfig({ PASSWORD_HASHER: "bcrypt" })).toThrow(ConfigError);
    expect(() => loadConfig({ PASSWORD_HASHER: "bcrypt" })).toThrow(/^PASSWORD_HASHER: must be auto, native or wasm$/);
    expect(() => loadConfig({ PASSWORD_HASH_WORKERS: "0" })).toThrow(/^PASSWORD_HASH_WORKERS/);
  });
});
