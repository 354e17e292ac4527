import { hashWasmArgon2id, type Argon2idFunction } from "./hasher.js";

/**
 * @node-rs/argon2 (the Rust `argon2` crate behind Node-API; prebuilt binaries ship inside npm
 * packages, one per platform, so nothing is downloaded at install) as an `Argon2idFunction`. Its
 * async functions run on libuv's thread pool on Node (Bun runs Node-API async work on its own
 * pool), so the event loop stays free without any worker thread.
 *
 * Loaded with a dynamic import, so that a platform without a prebuilt binary (or a Bun that cannot
 * load it) fails here, where PASSWORD_HASHER=auto falls back to hash-wasm, and not at start-up of
 * the whole module graph.
 */
export async function loadNativeArgon2id(): Promise<Argon2idFunction> {
  const { hashRaw } = await import("@node-rs/argon2");
  const argon2id: Argon2idFunction = ({ password, salt, memorySize, iterations, parallelism, hashLength }) =>
    hashRaw(password, {
      // The package's Algorithm and Version are `const enum`s, which isolated modules cannot read:
      // Algorithm.Argon2id = 2, Version.V0x13 = 1 (version 19, the only one we write or accept).
      algorithm: 2,
      version: 1,
      memoryCost: memorySize,
      timeCost: iterations,
      parallelism,
      outputLen: hashLength,
      salt,
    });
  await assertSameAsHashWasm(argon2id);
  return argon2id;
}

/**
 * A known-answer check against hash-wasm before first use: whichever implementation wrote a stored
 * hash, the other must verify it, so a binary that computed anything else must not start.
 */
async function assertSameAsHashWasm(argon2id: Argon2idFunction): Promise<void> {
  const input = {
    password: new TextEncoder().encode("self-check"),
    salt: new Uint8Array(16).map((_, i) => i * 7),
    memorySize: 64,
    iterations: 2,
    parallelism: 2,
    hashLength: 32,
  };
  const [native, wasm] = await Promise.all([argon2id(input), hashWasmArgon2id(input)]);
  if (native.length !== wasm.length || native.some((byte, i) => byte !== wasm[i])) {
    throw new Error("@node-rs/argon2 disagrees with hash-wasm on a known input");
  }
}
