import * as os from "node:os";
import { createInProcessPasswordWorker, createWorkerPoolHasher } from "./pool.js";
import {
  createArgon2idHasher,
  OWASP_ARGON2ID_PARAMS,
  type Argon2idFunction,
  type Argon2Params,
  type PasswordHasher,
} from "./hasher.js";
import { loadNativeArgon2id } from "./native.js";
import { createPasswordHasherPool } from "./worker-threads.js";

/**
 * Chooses and builds the service's PasswordHasher (README, "Password hashing"):
 * - `native`: @node-rs/argon2 on libuv's thread pool (~100 hashes/s one at a time here, vs ~28
 *   for hash-wasm; bench/ARGON2-SCALING.md); the start fails if it does not load.
 * - `wasm`: hash-wasm in a pool of worker threads, one reused instance per thread.
 * - `auto`: native when it loads, wasm otherwise.
 * Both run at most `concurrency` hashes at once behind the same bounded queue (past `maxQueue`,
 * PasswordHasherBusyError at once, a 503 with Retry-After), and write and accept the same PHC strings.
 */
export type PasswordHasherChoice = "auto" | "native" | "wasm";

export interface PasswordHasherOptions {
  implementation: PasswordHasherChoice;
  /** Hashes at once (worker threads, or native hashes in flight); absent: one per core. */
  concurrency?: number;
  /** Jobs allowed to wait; beyond that a job fails at once with PasswordHasherBusyError. */
  maxQueue: number;
  /** Jobs one client (a user id, an address) may have running or queued at once; unlimited when absent. */
  maxPerClient?: number;
  params?: Argon2Params;
  /** How the native Argon2id is loaded; tests replace it to see what happens when it is not there. */
  loadNative?: () => Promise<Argon2idFunction>;
}

export interface CreatedPasswordHasher {
  hasher: PasswordHasher;
  implementation: "native" | "wasm";
  concurrency: number;
  /** With `auto`, why the native hasher was not used (for the start-up log). */
  nativeUnavailable?: string;
}

/** Expected duration of a native hash at the OWASP cost until real ones are timed (~12 ms here). */
const NATIVE_INITIAL_JOB_MS = 12;

export async function createPasswordHasher(options: PasswordHasherOptions): Promise<CreatedPasswordHasher> {
  const params = options.params ?? OWASP_ARGON2ID_PARAMS;
  const concurrency = options.concurrency ?? availableCores();
  let nativeUnavailable: string | undefined;
  if (options.implementation !== "wasm") {
    try {
      const argon2id = await (options.loadNative ?? loadNativeArgon2id)();
      const native = createArgon2idHasher(params, { argon2id });
      const hasher = createWorkerPoolHasher({
        size: concurrency,
        maxQueue: options.maxQueue,
        ...(options.maxPerClient !== undefined && { maxPerClient: options.maxPerClient }),
        params,
        initialJobMs: NATIVE_INITIAL_JOB_MS,
        spawnWorker: () => createInProcessPasswordWorker(native),
      });
      return { hasher, implementation: "native", concurrency };
    } catch (error) {
      if (options.implementation === "native") {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`PASSWORD_HASHER=native, but @node-rs/argon2 could not be loaded: ${reason}`, { cause: error });
      }
      nativeUnavailable = error instanceof Error ? error.message : String(error);
    }
  }
  const hasher = createPasswordHasherPool({
    workers: concurrency,
    maxQueue: options.maxQueue,
    ...(options.maxPerClient !== undefined && { maxPerClient: options.maxPerClient }),
    params,
  });
  return { hasher, implementation: "wasm", concurrency, ...(nativeUnavailable !== undefined && { nativeUnavailable }) };
}

/**
 * CPUs this process may run on: os.availableParallelism() (Node >= 18.14 and Bun; it honours the
 * affinity mask, not a container's CPU quota, so set PASSWORD_HASH_WORKERS to the CPU limit there),
 * else the Web-standard navigator.hardwareConcurrency.
 */
export function availableCores(): number {
  const cores =
    os.availableParallelism?.() ?? (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, Math.min(64, cores ?? 1));
}
