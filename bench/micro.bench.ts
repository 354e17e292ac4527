import { Redis } from "ioredis";
import os from "node:os";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from "jose";
import { measure } from "mitata";
import { toBase64Url, randomBytes } from "../src/lib/encoding.js";
import { createAccessTokens, createAsymmetricSigningKeys, createHmacSigningKeys, generateSigningJwk } from "../src/tokens/jwt.js";
import type { AccessTokens, PrivateSigningJwk, SigningAlgorithm, SigningKeys } from "../src/tokens/jwt.js";
import { createArgon2idHasher, OWASP_ARGON2ID_PARAMS, type PasswordHasher } from "../src/password/hasher.js";
import { createRefreshToken, sealSuccessor } from "../src/sessions/refresh-tokens.js";
import { createPgliteDatabase, createPostgresDatabase, MIGRATIONS_FOLDER, type DatabaseHandle } from "../src/db/database.js";
import { createPasswordHasher } from "../src/password/index.js";
import { createRedisSessionStore } from "../src/sessions/redis-store.js";
import { createSqlSessionStore } from "../src/sessions/sql-store.js";
import { createSqlUserStore } from "../src/users/sql-store.js";
import type { SessionStore } from "../src/sessions/store.js";
import { createFreshDatabase, createFreshRedisPrefix, deleteKeysWithPrefix } from "./lib/backends.js";
import { isEntrypoint, loadBenchOptions, type BenchOptions } from "./lib/options.js";
import { formatNs, formatNumber } from "./lib/stats.js";

/**
 * Microbenchmarks with mitata's measuring loop (`measure`: warm-up, batching of fast calls, trimmed
 * samples), one call per benchmark so each gets the time budget its cost needs (an Argon2id hash
 * takes ~65 ms; an HMAC sign ~10 µs):
 *   - Argon2id at the OWASP cost (m=19456 t=2 p=1): hash-wasm's argon2id() in-thread, then each of
 *     the service's hashers as createPasswordHasher builds them (hash-wasm worker pool, native
 *     @node-rs/argon2 where it loads) with 1 and all cores, one job at a time and 4 in flight;
 *   - jose via createAccessTokens (imported keys, verified-token cache off): HS256, EdDSA, ES256
 *     sign and verify, one at a time and 64 in flight; a cache hit; and HS256 with raw key bytes
 *     vs an imported CryptoKey;
 *   - the refresh-rotation step (`SessionStore.rotate`) on SQL over PGlite, SQL over PostgreSQL and
 *     Redis, one at a time and 16 sessions rotating at once.
 * A "batch" benchmark measures the wall time of the whole batch; ops/s is batch size / that time.
 */

export interface MicroResult {
  group: "argon2id" | "jwt" | "rotation";
  name: string;
  /** Operations per measured iteration (the batch size). */
  opsPerIteration: number;
  /** Nanoseconds per iteration: mean, median, 99th percentile of mitata's samples. */
  avgNs: number;
  p50Ns: number;
  p99Ns: number;
  samples: number;
  /** opsPerIteration / mean iteration time. */
  opsPerSecond: number;
}

export interface MicroReport {
  results: MicroResult[];
  /** Which password hashers could be built here (native needs @node-rs/argon2's binary). */
  hashers: { native: boolean; wasm: boolean };
  backends: { postgres: string; redis: string };
  elapsedSeconds: number;
}

const PASSWORD = "correct horse battery staple";
const ISSUER = "auth-service-bench";
const AUDIENCE = "auth-service-bench";
const JWT_BATCH = 64;
/** Argon2id jobs kept in flight for the throughput rows (2 per worker at 2 cores). */
export const ARGON_IN_FLIGHT = 4;
const ROTATION_SESSIONS = 16;
const IDLE_TTL_SECONDS = 14 * 86_400;
const MAX_LIFETIME_SECONDS = 90 * 86_400;

type Log = (line: string) => void;

class MicroRunner {
  readonly results: MicroResult[] = [];
  constructor(
    private readonly options: BenchOptions,
    readonly log: Log,
  ) {}

  async bench(
    group: MicroResult["group"],
    name: string,
    opsPerIteration: number,
    fn: () => Promise<unknown>,
    budget: "fast" | "argon2" = "fast",
  ): Promise<MicroResult> {
    const argon = budget === "argon2";
    const stats = await measure(fn, {
      min_cpu_time: argon ? this.options.microArgonCpuNs : this.options.microCpuNs,
      min_samples: argon ? this.options.microArgonMinSamples : this.options.microMinSamples,
    });
    const result: MicroResult = {
      group,
      name,
      opsPerIteration,
      avgNs: stats.avg,
      p50Ns: stats.p50,
      p99Ns: stats.p99,
      samples: stats.samples.length,
      opsPerSecond: (opsPerIteration * 1e9) / stats.avg,
    };
    this.results.push(result);
    this.log(
      `  ${name.padEnd(46)} ${formatNumber(result.opsPerSecond).padStart(9)} ops/s   ` +
        `${formatNs(stats.avg).padStart(9)}/iter  p50 ${formatNs(stats.p50).padStart(9)}  p99 ${formatNs(stats.p99).padStart(9)}  (${result.samples} samples)`,
    );
    return result;
  }
}

function times<T>(count: number, make: (index: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => make(index)));
}

async function assertValid(hasher: PasswordHasher, phc: string): Promise<void> {
  const { valid } = await hasher.verify(phc, PASSWORD);
  if (!valid) throw new Error("Argon2id verification of a fresh hash failed");
}

/** CPUs this process may use, as the service counts them for its default pool size. */
function cores(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

async function benchArgon2(runner: MicroRunner): Promise<MicroReport["hashers"]> {
  const p = OWASP_ARGON2ID_PARAMS;
  runner.log(`Argon2id (m=${p.memorySize} t=${p.iterations} p=${p.parallelism}; x${ARGON_IN_FLIGHT} = ${ARGON_IN_FLIGHT} jobs in flight)`);
  // hash-wasm's own argon2id(), a fresh WebAssembly instance per call, on this thread: the baseline.
  const inThread = createArgon2idHasher();
  const stored = await inThread.hash(PASSWORD);
  await assertValid(inThread, stored);
  await runner.bench("argon2id", "hash-wasm in-thread hash", 1, () => inThread.hash(PASSWORD), "argon2");
  await runner.bench("argon2id", "hash-wasm in-thread verify", 1, () => inThread.verify(stored, PASSWORD), "argon2");

  // The service's hashers, built by the factory the entrypoints use, at 1 and at all cores.
  const available: MicroReport["hashers"] = { native: true, wasm: true };
  for (const implementation of ["wasm", "native"] as const) {
    for (const concurrency of [...new Set([1, cores()])]) {
      let created;
      try {
        created = await createPasswordHasher({ implementation, concurrency, maxQueue: 64 });
      } catch (error) {
        available[implementation] = false;
        runner.log(`  ${implementation}: not available here (${(error as Error).message}); skipped`);
        break;
      }
      const { hasher } = created;
      try {
        // Thread start-up (and, from source on Node, tsx in the workers) is paid here, not measured.
        await times(concurrency, () => hasher.hash(PASSWORD));
        // Each verifies the other's hashes: the same PHC strings either way.
        await assertValid(hasher, stored);
        await assertValid(inThread, await hasher.hash(PASSWORD));
        const label = hasherLabel(implementation, concurrency);
        if (concurrency === 1) {
          await runner.bench("argon2id", `${label} hash x1`, 1, () => hasher.hash(PASSWORD), "argon2");
          await runner.bench("argon2id", `${label} verify x1`, 1, () => hasher.verify(stored, PASSWORD), "argon2");
        }
        const n = ARGON_IN_FLIGHT;
        await runner.bench("argon2id", `${label} hash x${n}`, n, () => times(n, () => hasher.hash(PASSWORD)), "argon2");
        await runner.bench("argon2id", `${label} verify x${n}`, n, () => times(n, () => hasher.verify(stored, PASSWORD)), "argon2");
      } finally {
        await hasher.close();
      }
    }
  }
  return available;
}

/** "wasm pool(2)": how micro results name a hasher; the report looks the service's one up by it. */
export function hasherLabel(implementation: "wasm" | "native", concurrency: number): string {
  return `${implementation} pool(${concurrency})`;
}

async function es256Jwk(): Promise<PrivateSigningJwk> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...(jwk as PrivateSigningJwk), kid: "bench-es256" };
}

async function signingKeysFor(alg: "HS256" | "EdDSA" | "ES256", secret: string): Promise<SigningKeys> {
  switch (alg) {
    case "HS256":
      return createHmacSigningKeys(secret);
    case "EdDSA":
      return createAsymmetricSigningKeys([await generateSigningJwk()]);
    case "ES256":
      return createAsymmetricSigningKeys([await es256Jwk()]);
  }
}

async function benchJwt(runner: MicroRunner): Promise<void> {
  runner.log(
    `JWT (jose, createAccessTokens with imported keys, verified-token cache off unless stated; x${JWT_BATCH} = ${JWT_BATCH} in flight via Promise.all)`,
  );
  const secret = toBase64Url(randomBytes(32));
  const subject = { userId: crypto.randomUUID(), sessionId: crypto.randomUUID(), roles: ["user"] };

  for (const alg of ["HS256", "EdDSA", "ES256"] as const) {
    const tokens: AccessTokens = createAccessTokens({
      keys: await signingKeysFor(alg, secret),
      issuer: ISSUER,
      audience: AUDIENCE,
      clientId: "bench",
      ttlSeconds: 900,
      clockToleranceSeconds: 5,
      // The same token is verified over and over: with the cache on, this would time the cache.
      verifiedTokenCacheSize: 0,
    });
    const token = await tokens.sign(subject, new Date());
    if (!(await tokens.verify(token, new Date()))) throw new Error(`${alg}: a fresh token did not verify`);
    await runner.bench("jwt", `${alg} sign x1`, 1, () => tokens.sign(subject, new Date()));
    await runner.bench("jwt", `${alg} sign x${JWT_BATCH}`, JWT_BATCH, () => times(JWT_BATCH, () => tokens.sign(subject, new Date())));
    await runner.bench("jwt", `${alg} verify x1`, 1, () => tokens.verify(token, new Date()));
    await runner.bench("jwt", `${alg} verify x${JWT_BATCH}`, JWT_BATCH, () => times(JWT_BATCH, () => tokens.verify(token, new Date())));
  }

  // What the verified-token cache (on by default) answers for a token it has seen: no signature check.
  const cachedTokens = createAccessTokens({
    keys: await signingKeysFor("EdDSA", secret),
    issuer: ISSUER,
    audience: AUDIENCE,
    clientId: "bench",
    ttlSeconds: 900,
    clockToleranceSeconds: 5,
  });
  const cachedToken = await cachedTokens.sign(subject, new Date());
  await cachedTokens.verify(cachedToken, new Date());
  await runner.bench("jwt", `EdDSA verify x${JWT_BATCH} (verified-token cache hit)`, JWT_BATCH, () =>
    times(JWT_BATCH, () => cachedTokens.verify(cachedToken, new Date())),
  );

  // The same HS256 token work straight through jose, once with the raw secret bytes (which jose
  // re-imports on every call) and once with a CryptoKey imported up front.
  const raw = new TextEncoder().encode(secret);
  const imported: CryptoKey = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const sign = (key: Uint8Array | CryptoKey) =>
    new SignJWT({ sid: subject.sessionId, roles: subject.roles })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(subject.userId)
      .setIssuedAt()
      .setExpirationTime("15m")
      .setJti(crypto.randomUUID())
      .sign(key);
  const verify = (token: string, key: Uint8Array | CryptoKey) =>
    jwtVerify(token, key, { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE, typ: "at+jwt" });
  const token = await sign(imported);
  await verify(token, raw);
  for (const [label, key] of [
    ["raw bytes", raw],
    ["CryptoKey", imported],
  ] as const) {
    await runner.bench("jwt", `HS256 jose sign x${JWT_BATCH} (${label})`, JWT_BATCH, () => times(JWT_BATCH, () => sign(key)));
    await runner.bench("jwt", `HS256 jose verify x${JWT_BATCH} (${label})`, JWT_BATCH, () =>
      times(JWT_BATCH, () => verify(token, key)),
    );
  }
}

/** One rotation chain per session: each iteration presents the current hash and installs a new one. */
async function rotationChains(store: SessionStore, userId: string, count: number) {
  const now = new Date();
  const sealed = await sealSuccessor(createRefreshToken(crypto.randomUUID()), createRefreshToken(crypto.randomUUID()));
  const chains = await times(count, async () => {
    const id = crypto.randomUUID();
    const tokenHash = toBase64Url(randomBytes(32));
    await store.create({
      id,
      userId,
      tokenHash,
      userAgent: "bench",
      ip: "127.0.0.1",
      now,
      idleTtlSeconds: IDLE_TTL_SECONDS,
      maxLifetimeSeconds: MAX_LIFETIME_SECONDS,
    });
    return { id, current: tokenHash };
  });
  // The successor hash is random bytes in the format hashRefreshToken produces, and the sealed
  // successor one real sealed value reused: the stores treat both as opaque strings, so the
  // benchmark times the store's step and not the SHA-256/AES-GCM around it.
  return async (index: number) => {
    const chain = chains[index]!;
    const nextHash = toBase64Url(randomBytes(32));
    const result = await store.rotate({
      sessionId: chain.id,
      presentedHash: chain.current,
      nextHash,
      sealedSuccessor: sealed,
      now: new Date(),
      idleTtlSeconds: IDLE_TTL_SECONDS,
      graceSeconds: 10,
    });
    if (result.outcome !== "rotated") throw new Error(`rotation answered ${result.outcome}`);
    chain.current = nextHash;
  };
}

async function benchRotationOn(runner: MicroRunner, label: string, store: SessionStore, userId: string): Promise<void> {
  const rotate = await rotationChains(store, userId, ROTATION_SESSIONS);
  await rotate(0);
  await runner.bench("rotation", `${label} rotate x1`, 1, () => rotate(0));
  await runner.bench("rotation", `${label} rotate x${ROTATION_SESSIONS} sessions`, ROTATION_SESSIONS, () =>
    times(ROTATION_SESSIONS, (index) => rotate(index)),
  );
}

/** Migrates a fresh database, benches rotation on the SQL session store over it, and closes it. */
async function benchSqlRotationOn(runner: MicroRunner, label: string, handle: DatabaseHandle): Promise<void> {
  try {
    await handle.migrate(MIGRATIONS_FOLDER);
    const userId = await withSqlUser(handle);
    await benchRotationOn(runner, label, createSqlSessionStore({ db: handle.db }), userId);
  } finally {
    await handle.close();
  }
}

async function withSqlUser(handle: DatabaseHandle): Promise<string> {
  const id = crypto.randomUUID();
  const user = await createSqlUserStore({ db: handle.db }).create({
    id,
    email: `rotation-${id}@bench.invalid`,
    name: null,
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
  });
  if (!user) throw new Error("could not create the rotation benchmark's user");
  return id;
}

async function benchRotation(runner: MicroRunner, options: BenchOptions): Promise<{ postgres: string; redis: string }> {
  runner.log(`Refresh rotation (SessionStore.rotate; x${ROTATION_SESSIONS} = ${ROTATION_SESSIONS} sessions rotating at once)`);

  await benchSqlRotationOn(runner, "SQL/PGlite (in-memory)", await createPgliteDatabase());

  const fresh = await createFreshDatabase(options.adminDatabaseUrl);
  try {
    await benchSqlRotationOn(runner, "SQL/PostgreSQL", await createPostgresDatabase({ url: fresh.url, poolSize: 10 }));
  } finally {
    await fresh.cleanup();
  }

  const redis = await createFreshRedisPrefix(options.redisUrl);
  try {
    // The service's own client settings matter little here; a plain client like the tests use.
    const client: Redis = redis.client;
    await benchRotationOn(runner, "Redis", createRedisSessionStore({ client, keyPrefix: redis.keyPrefix }), crypto.randomUUID());
    await deleteKeysWithPrefix(client, redis.keyPrefix);
  } finally {
    await redis.cleanup();
  }
  return { postgres: fresh.serverVersion, redis: redis.serverVersion };
}

export async function runMicro(options: BenchOptions, log: Log = (line) => console.log(line)): Promise<MicroReport> {
  const started = performance.now();
  const runner = new MicroRunner(options, log);
  const hashers = await benchArgon2(runner);
  await benchJwt(runner);
  const backends = await benchRotation(runner, options);
  return { results: runner.results, hashers, backends, elapsedSeconds: (performance.now() - started) / 1000 };
}

if (isEntrypoint(import.meta.url)) {
  const report = await runMicro(loadBenchOptions());
  console.log(`micro benchmarks done in ${report.elapsedSeconds.toFixed(1)} s`);
}
