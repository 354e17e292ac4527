import { createBLAKE2b, type IHasher } from "hash-wasm";
import { hashWasmArgon2id, type Argon2idFunction, type Argon2idInput } from "./hasher.js";

/**
 * Argon2id on hash-wasm's own WebAssembly code, with one instance and one memory kept for the life
 * of a worker instead of new ones for every hash.
 *
 * Why: hash-wasm's `argon2id()` instantiates its module, and two BLAKE2b modules, afresh on every
 * call and grows the new memory to m KiB. Each hash then faults in ~19 MiB of untouched pages
 * (~9.7k page faults, ~18 ms of kernel time: a third of the hash's CPU). Worse, in a process with
 * several busy threads each of those faults (a write to a page that was mapped to the shared zero
 * page) must flush the TLB of every other CPU running a thread of the process: an IPI per page,
 * a trap to the hypervisor in a VM. With two hashing threads the kernel time per hash went from
 * ~18 to ~75 ms and two workers gave less than one; separate processes, which share no page
 * tables, did not suffer. Reused, the memory is faulted in once: no page faults, no kernel time,
 * ~36 ms per hash, and the worker pool scales with the cores (bench/ARGON2-SCALING.md).
 *
 * Why by hand: hash-wasm exposes no reusable instance (one call, one instance, by design), and the
 * other maintained WebAssembly Argon2 packages are other implementations (openpgpjs's `argon2id`
 * keeps one memory but drives every 1 KiB block from JavaScript), which we would have to trust
 * anew. So this is hash-wasm's `argon2Internal` (hash-wasm 4.13, lib/argon2.ts) over its own
 * binary, kept small; `createReusableArgon2id` checks it against hash-wasm's `argon2id()` before
 * it is used, and the tests compare the two byte for byte.
 */

/** A compiled WebAssembly.Module, opaque here. */
export type WasmModule = object;

/**
 * The few members of the WebAssembly JS API used here. Every runtime has them, but TypeScript
 * declares them only in its DOM lib, which this project does not load.
 */
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: object }>;
  Module: {
    exports(module: WasmModule): Array<{ name: string; kind: string }>;
    imports(module: WasmModule): unknown[];
  };
};

/** hash-wasm's Argon2 module (src/argon2.c in hash-wasm): what this file relies on. */
interface HashWasmArgon2Exports {
  memory: { readonly buffer: ArrayBuffer };
  /** Start of the block memory B; on the first call also grows the memory by 512 KiB for it. */
  Hash_GetBuffer(): number;
  /** Grows B by (total - current size of B) bytes; 0 on success, -1 if the memory cannot grow. */
  Hash_SetMemorySize(totalBytes: number): number;
  /** Fills B (blocks 0 and 1 of each lane and the parameters after block m given) and writes the final block C at B[0]. */
  Hash_Calculate(length: number, memorySize: number): void;
}

const REQUIRED_EXPORTS = ["memory", "Hash_GetBuffer", "Hash_SetMemorySize", "Hash_Calculate"] as const;
const ARGON2_VERSION = 0x13;
const ARGON2ID_TYPE = 2;
const BLOCK_BYTES = 1024;

/**
 * Finds hash-wasm's Argon2 WebAssembly binary among the base64 literals of one of its bundles
 * (`hash-wasm/dist/argon2.umd.min.js`, read by src/password/hash-wasm-bundle.ts) and compiles it.
 * Chosen by what it exports, not by where it sits in the bundle, so that a rebuilt bundle still
 * works or fails loudly here, never computes something else.
 */
export async function compileHashWasmArgon2(bundleSource: string): Promise<WasmModule> {
  // "AGFzbQ" is base64 for the WebAssembly magic number "\0asm".
  for (const [, base64] of bundleSource.matchAll(/"(AGFzbQ[A-Za-z0-9+/]+={0,2})"/g)) {
    const module = await WebAssembly.compile(decodeBase64(base64 as string));
    const names = WebAssembly.Module.exports(module).map((entry) => entry.name);
    const isArgon2 = REQUIRED_EXPORTS.every((name) => names.includes(name)) && !names.includes("Hash_Init");
    if (isArgon2 && WebAssembly.Module.imports(module).length === 0) return module;
  }
  throw new Error("hash-wasm's Argon2 WebAssembly binary was not found in its bundle");
}

export interface ReusableArgon2idOptions {
  /**
   * Largest m (KiB) held in the reused memory, normally the hasher's own. A hash that needs more
   * (verifying a stored hash stronger than the current parameters) runs in hash-wasm's one-off
   * instance instead, so one unusual row cannot pin a larger memory for the life of the worker.
   */
  maxReusedMemoryKib: number;
}

/**
 * An `Argon2idFunction` over one instance of hash-wasm's Argon2 module. Not safe for two hashes at
 * once on one instance: the part that touches the shared memory is synchronous, so within one
 * thread calls cannot interleave; use one per thread.
 */
export async function createReusableArgon2id(
  module: WasmModule,
  options: ReusableArgon2idOptions,
): Promise<Argon2idFunction> {
  const instance = await WebAssembly.instantiate(module, {});
  const wasm = instance.exports as unknown as HashWasmArgon2Exports;
  const blockMemoryOffset = wasm.Hash_GetBuffer();
  if (!blockMemoryOffset) throw new Error("hash-wasm's Argon2 module could not allocate its memory");

  // BLAKE2b instances by digest length in bytes, made once (hash-wasm makes new ones per hash).
  const blake2bByLength = new Map<number, IHasher>();
  async function prepareBlake2b(length: number): Promise<void> {
    if (!blake2bByLength.has(length)) blake2bByLength.set(length, await createBLAKE2b(length * 8));
  }
  function blake2b(length: number): IHasher {
    return (blake2bByLength.get(length) as IHasher).init();
  }

  /** Digest lengths H' (RFC 9106 §3.3) needs for an output of `length` bytes. */
  function blake2bLengthsFor(length: number): number[] {
    return length <= 64 ? [length] : [64, length - 32 * (Math.ceil(length / 32) - 2)];
  }

  /** H'^length(input), RFC 9106 §3.3, as hash-wasm's `hashFunc`. */
  function hPrime(input: Uint8Array, length: number): Uint8Array {
    if (length <= 64) return blake2b(length).update(le32(length)).update(input).digest("binary");
    const r = Math.ceil(length / 32) - 2;
    const output = new Uint8Array(length);
    let v = blake2b(64).update(le32(length)).update(input).digest("binary");
    output.set(v.subarray(0, 32), 0);
    for (let i = 1; i < r; i++) {
      v = blake2b(64).update(v).digest("binary");
      output.set(v.subarray(0, 32), i * 32);
    }
    const rest = length - 32 * r;
    output.set(blake2b(rest).update(v).digest("binary").subarray(0, rest), r * 32);
    return output;
  }

  async function compute(input: Argon2idInput): Promise<Uint8Array> {
    const { password, salt, memorySize, iterations, parallelism, hashLength } = input;
    if (memorySize > options.maxReusedMemoryKib) return hashWasmArgon2id(input);
    // The only await: everything that touches the shared memory below runs without yielding.
    for (const length of [64, ...blake2bLengthsFor(hashLength)]) await prepareBlake2b(length);

    // hash-wasm's layout: m blocks, then one block holding the parameters.
    const totalBytes = memorySize * BLOCK_BYTES + BLOCK_BYTES;
    const available = wasm.memory.buffer.byteLength - blockMemoryOffset;
    if (totalBytes > available && wasm.Hash_SetMemorySize(totalBytes) !== 0) {
      throw new RangeError(`cannot grow Argon2 memory to ${memorySize} KiB`);
    }
    const memory = new Uint8Array(wasm.memory.buffer, blockMemoryOffset, totalBytes);
    // Hash_Calculate XORs every block it computes into memory, first pass included: it counts on
    // a fresh, zeroed memory, which a reused one is not.
    memory.fill(0, 0, memorySize * BLOCK_BYTES);

    const parameters = new Uint8Array(24);
    const view = new DataView(parameters.buffer);
    [parallelism, hashLength, memorySize, iterations, ARGON2_VERSION, ARGON2ID_TYPE].forEach((value, index) =>
      view.setInt32(index * 4, value, true),
    );
    memory.set(parameters, memorySize * BLOCK_BYTES);

    // H0 = H^64(p, T, m, t, v, y, |P|, P, |S|, S, |K| = 0, |X| = 0)
    const h0 = blake2b(64)
      .update(parameters)
      .update(le32(password.length))
      .update(password)
      .update(le32(salt.length))
      .update(salt)
      .update(le32(0))
      .update(le32(0))
      .digest("binary");

    // B[i][0] = H'^1024(H0 || 0 || i), B[i][1] = H'^1024(H0 || 1 || i)
    const laneBlocks = Math.floor(memorySize / (parallelism * 4)) * 4;
    const seed = new Uint8Array(72);
    seed.set(h0);
    for (let lane = 0; lane < parallelism; lane++) {
      seed.set(le32(lane), 68);
      for (const column of [0, 1]) {
        seed.set(le32(column), 64);
        memory.set(hPrime(seed, BLOCK_BYTES), (lane * laneBlocks + column) * BLOCK_BYTES);
      }
    }

    wasm.Hash_Calculate(0, memorySize);
    const finalBlock = new Uint8Array(wasm.memory.buffer, blockMemoryOffset, BLOCK_BYTES).slice();
    return hPrime(finalBlock, hashLength);
  }

  await assertSameAsHashWasm(compute);
  return compute;
}

/**
 * Known-answer check against hash-wasm's own `argon2id()` before first use: two lanes and a
 * long tag, then a smaller memory in the same instance (stale blocks must not leak into it).
 */
async function assertSameAsHashWasm(compute: Argon2idFunction): Promise<void> {
  const password = new TextEncoder().encode("self-check");
  const salt = new Uint8Array(16).map((_, i) => i * 7);
  for (const params of [
    { memorySize: 64, iterations: 2, parallelism: 2, hashLength: 80 },
    { memorySize: 32, iterations: 1, parallelism: 1, hashLength: 32 },
  ]) {
    const [ours, theirs] = [await compute({ password, salt, ...params }), await hashWasmArgon2id({ password, salt, ...params })];
    if (ours.length !== theirs.length || ours.some((byte, i) => byte !== theirs[i])) {
      throw new Error("reused hash-wasm Argon2 instance disagrees with hash-wasm's argon2id()");
    }
  }
}

function le32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
