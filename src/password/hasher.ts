import { argon2id } from "hash-wasm";

/**
 * Password hashing with Argon2id (RFC 9106), stored as PHC strings
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, standard base64 without padding).
 *
 * Web-standard only: this module runs in the main thread, in a worker thread (src/password/worker.ts)
 * and on any runtime. Callers in a server should not use `createArgon2idHasher` directly on the
 * main thread: one hash-wasm Argon2id at the OWASP cost blocks the event loop for ~40-65 ms, which
 * pushed a trivial route's p99 from ~7 ms to ~100 ms at saturation (measured on a 2-core machine; bench/ARGON2-SCALING.md). The worker pool
 * in password-pool.ts runs this same code off the main thread.
 *
 * The PHC string, its parsing, `needsRehash` and the comparison live here once; what computes the
 * raw Argon2id tag is an `Argon2idFunction` (hash-wasm by default, hash-wasm with one reused
 * instance in the workers, @node-rs/argon2 when native), so every implementation writes and
 * accepts exactly the same strings.
 */

export interface PasswordVerification {
  valid: boolean;
  /** True only when `valid` and the stored hash is cheaper than the hasher's parameters. */
  needsRehash: boolean;
}

/**
 * Who a password job is for, so that a queue (src/password/pool.ts) can share the hasher fairly:
 * no one caller, address or kind of request can take it over. Hashers that do not queue ignore it.
 */
export interface PasswordJob {
  /**
   * `sign-in` (login, register: what lets people in) is served ahead of `confirmation` (a signed-in
   * user re-entering a password, or setting a new one), which also has a smaller queue of its own.
   */
  lane: "sign-in" | "confirmation";
  /** The callers it counts against (`user:<id>`, `ip:<bucket>`); each may have a few jobs at once. */
  clients: readonly string[];
}

export interface PasswordHasher {
  /** A PHC string with a fresh random salt. */
  hash(password: string, job?: PasswordJob): Promise<string>;
  /** Never throws on a malformed or foreign `phcHash`: it is simply not valid. */
  verify(phcHash: string, password: string, job?: PasswordJob): Promise<PasswordVerification>;
  close(): Promise<void>;
  /** Jobs waiting for a worker (the worker pool only), for the metrics; absent: hashing is not queued. */
  queueDepth?(): number;
}

export interface Argon2Params {
  /** KiB */
  memorySize: number;
  iterations: number;
  parallelism: number;
  /** bytes */
  hashLength: number;
}

/**
 * OWASP Password Storage Cheat Sheet's Argon2id minimum (19 MiB, 2 passes, 1 lane), which docs/API.md makes
 * the floor. Memory is the cost that hurts GPU/ASIC attackers; t=2 keeps one hash at ~65 ms in
 * hash-wasm, i.e. ~15 logins/s per thread, which is what the service can afford.
 */
export const OWASP_ARGON2ID_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memorySize: 19_456,
  iterations: 2,
  parallelism: 1,
  hashLength: 32,
});

/**
 * Thrown, at once, when every worker is busy and the queue is full. Waiting longer would only grow
 * latency and memory for requests whose clients will time out anyway; the HTTP layer turns this
 * into a 503 with `Retry-After: retryAfterSeconds`.
 */
export class PasswordHasherBusyError extends Error {
  override name = "PasswordHasherBusyError";
  constructor(readonly retryAfterSeconds: number) {
    super("password hasher is busy");
  }
}

/**
 * RFC 9106 recommends 128-bit salts: enough that every stored hash gets its own salt (equal
 * passwords give different hashes, precomputed tables are useless), and nothing is gained by more.
 */
const SALT_BYTES = 16;

/**
 * Bounds a stored hash must respect before we spend CPU and memory on it. The lower ones are
 * RFC 9106's; the upper ones keep a corrupt or hostile row from asking one verification for
 * gigabytes or minutes (hash-wasm's 32-bit WebAssembly memory could not hold more than ~4 GiB anyway).
 */
const PHC_LIMITS = {
  minSaltBytes: 8,
  minHashBytes: 4,
  maxHashBytes: 1024,
  maxMemoryKib: 1_048_576,
  maxIterations: 1_000,
  maxParallelism: 255,
} as const;

export interface Argon2idPhc {
  version: 19;
  memorySize: number;
  iterations: number;
  parallelism: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

/**
 * Parses a PHC string as this service writes it: Argon2id, version 19, `m=…,t=…,p=…` in that order,
 * no optional `keyid`/`data` parameters. Returns null for anything else (argon2i/d, bcrypt, other
 * versions, bad numbers or base64, out-of-bounds parameters) instead of throwing.
 */
export function parseArgon2idPhc(phcHash: string): Argon2idPhc | null {
  if (typeof phcHash !== "string" || phcHash.length > 2048) return null;
  const match = /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phcHash);
  if (!match) return null;
  const [, version, m, t, p, saltText, hashText] = match as unknown as [string, string, string, string, string, string, string];
  if (version !== "19") return null;
  const memorySize = decimal(m);
  const iterations = decimal(t);
  const parallelism = decimal(p);
  const salt = fromPhcBase64(saltText);
  const hash = fromPhcBase64(hashText);
  if (memorySize === null || iterations === null || parallelism === null || !salt || !hash) return null;
  if (parallelism < 1 || parallelism > PHC_LIMITS.maxParallelism) return null;
  if (iterations < 1 || iterations > PHC_LIMITS.maxIterations) return null;
  if (memorySize < 8 * parallelism || memorySize > PHC_LIMITS.maxMemoryKib) return null;
  if (salt.length < PHC_LIMITS.minSaltBytes) return null;
  if (hash.length < PHC_LIMITS.minHashBytes || hash.length > PHC_LIMITS.maxHashBytes) return null;
  return { version: 19, memorySize, iterations, parallelism, salt, hash };
}

export interface Argon2idInput extends Argon2Params {
  /** UTF-8 bytes of the password; never empty. */
  password: Uint8Array;
  salt: Uint8Array;
}

/** Computes a raw Argon2id (version 19) tag of `hashLength` bytes. */
export type Argon2idFunction = (input: Argon2idInput) => Promise<Uint8Array>;

/**
 * hash-wasm's own `argon2id()`: portable, and self-contained, but it instantiates a fresh WebAssembly
 * module and maps fresh memory for every call, which is why worker threads use
 * password-argon2-wasm.ts instead (bench/ARGON2-SCALING.md).
 */
export const hashWasmArgon2id: Argon2idFunction = ({ password, salt, memorySize, iterations, parallelism, hashLength }) =>
  argon2id({ password, salt, memorySize, iterations, parallelism, hashLength, outputType: "binary" });

export interface Argon2idHasherOptions {
  /** What computes the tags; hash-wasm's `argon2id()` by default. */
  argon2id?: Argon2idFunction;
}

/** The in-thread Argon2id hasher. Throws a RangeError at creation for parameters Argon2 refuses. */
export function createArgon2idHasher(
  params: Argon2Params = OWASP_ARGON2ID_PARAMS,
  options: Argon2idHasherOptions = {},
): PasswordHasher {
  assertArgon2Params(params);
  const { memorySize, iterations, parallelism, hashLength } = params;
  const compute = options.argon2id ?? hashWasmArgon2id;
  const encoder = new TextEncoder();

  return {
    async hash(password) {
      // Refused rather than hashed: an empty password is a caller's bug (and hash-wasm rejects it).
      if (typeof password !== "string" || password.length === 0) throw new TypeError("password must be a non-empty string");
      const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
      const tag = await compute({ password: encoder.encode(password), salt, memorySize, iterations, parallelism, hashLength });
      return `$argon2id$v=19$m=${memorySize},t=${iterations},p=${parallelism}$${toPhcBase64(salt)}$${toPhcBase64(tag)}`;
    },

    async verify(phcHash, password) {
      const stored = parseArgon2idPhc(phcHash);
      // No hash is ever made of an empty password, so none can match it.
      if (!stored || typeof password !== "string" || password.length === 0) return { valid: false, needsRehash: false };
      // Recomputed with the stored m, t, p, salt and length, which the parser has bounded.
      const tag = await compute({
        password: encoder.encode(password),
        salt: stored.salt,
        memorySize: stored.memorySize,
        iterations: stored.iterations,
        parallelism: stored.parallelism,
        hashLength: stored.hash.length,
      });
      const valid = constantTimeEqual(tag, stored.hash);
      const weaker =
        stored.memorySize < memorySize || stored.iterations < iterations || stored.parallelism < parallelism;
      return { valid, needsRehash: valid && weaker };
    },

    async close() {},
  };
}

/**
 * Compares every byte whatever the first difference: the tag is not secret the way a MAC is, but
 * an early exit would still tell a timing observer how much of a guessed tag was right.
 */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

/** Checked once, at creation: a bad cost is a configuration error, not a per-request failure. */
export function assertArgon2Params(params: Argon2Params): void {
  const { memorySize, iterations, parallelism, hashLength } = params;
  const ok =
    Number.isInteger(parallelism) &&
    parallelism >= 1 &&
    parallelism <= PHC_LIMITS.maxParallelism &&
    Number.isInteger(iterations) &&
    iterations >= 1 &&
    iterations <= PHC_LIMITS.maxIterations &&
    Number.isInteger(memorySize) &&
    memorySize >= 8 * parallelism &&
    memorySize <= PHC_LIMITS.maxMemoryKib &&
    Number.isInteger(hashLength) &&
    hashLength >= PHC_LIMITS.minHashBytes &&
    hashLength <= PHC_LIMITS.maxHashBytes;
  if (!ok) {
    throw new RangeError(
      `invalid Argon2 parameters m=${memorySize},t=${iterations},p=${parallelism},hashLength=${hashLength}`,
    );
  }
}

/** Canonical decimal (no leading zeros, as PHC requires), within the safe integer range. */
function decimal(text: string): number | null {
  if (!/^(0|[1-9]\d{0,9})$/.test(text)) return null;
  return Number(text);
}

/** PHC's "B64": standard alphabet, no padding. */
function toPhcBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, "");
}

/** PHC's "B64": standard alphabet, no padding. */
function fromPhcBase64(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  let binary: string;
  try {
    binary = atob(text + "=".repeat((4 - (text.length % 4)) % 4));
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
