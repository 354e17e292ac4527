import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

/**
 * The text of hash-wasm's Argon2 bundle, in which src/password/argon2-wasm.ts finds the
 * WebAssembly binary it reuses. hash-wasm exports no binary, only functions that instantiate it
 * per call; its package has no "exports" map, so the bundle is a plain, resolvable file (Node and
 * Bun alike), read from the hash-wasm that package-lock.json pins.
 */
export async function readHashWasmArgon2Bundle(): Promise<string> {
  const path = createRequire(import.meta.url).resolve("hash-wasm/dist/argon2.umd.min.js");
  return readFile(path, "utf8");
}
