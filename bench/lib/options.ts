import os from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Everything the benchmarks read from the environment, read once, here. Defaults keep a full run
 * (micro + HTTP) under ~5 minutes on a 2-core machine; BENCH_SMOKE=1 shrinks every phase to ~1 s
 * and one run, for CI.
 */
export interface BenchOptions {
  smoke: boolean;
  /** Seconds per measured HTTP run. */
  durationSeconds: number;
  /** Measured repetitions of each HTTP scenario; medians are reported. */
  runs: number;
  /** Unmeasured seconds of each HTTP scenario before the first run (JIT, pools, caches). */
  warmupSeconds: number;
  /** Connections for the routes that do not hash. */
  connections: number;
  /** Connections for /register and /login (bounded by the hasher, not by the connections). */
  hashConnections: number;
  /** Users registered up front (at least 2 x hashConnections); /me and /login cycle over them. */
  users: number;
  /** Nanoseconds of samples mitata collects per micro benchmark (fast ones / Argon2 ones). */
  microCpuNs: number;
  microArgonCpuNs: number;
  microMinSamples: number;
  microArgonMinSamples: number;
  adminDatabaseUrl: string;
  redisUrl: string;
  /** "redis" (default): sessions in Redis, users in PostgreSQL; "sql": both in PostgreSQL. */
  sessionStore: "redis" | "sql";
  /** Algorithm of the signing key generated for the service and the yardstick. */
  jwtAlgorithm: "EdDSA" | "ES256" | "HS256";
  /** The service's LOG_LEVEL under load. */
  serviceLogLevel: string;
  /** Skip `tsc -p tsconfig.build.json` before starting `node dist/node.js`. */
  skipBuild: boolean;
  /** "high" (default): the per-IP rate limits stay on, set so high no run reaches them; "off": none. */
  rateLimits: "high" | "off";
  /** BENCH_ONLY: HTTP series keys to run (empty: all). */
  only: string[];
}

function positiveNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

function flag(name: string): boolean {
  const text = (process.env[name] ?? "").toLowerCase();
  return text === "1" || text === "true" || text === "yes";
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new Error(`${name} must be one of ${allowed.join(", ")}`);
  return text as T;
}

export function loadBenchOptions(): BenchOptions {
  const smoke = flag("BENCH_SMOKE");
  const hashConnections = Math.round(positiveNumber("BENCH_HASH_CONNECTIONS", 8));
  return {
    smoke,
    durationSeconds: positiveNumber("BENCH_DURATION", smoke ? 1 : 5),
    runs: Math.round(positiveNumber("BENCH_RUNS", smoke ? 1 : 3)),
    warmupSeconds: smoke ? 0 : positiveNumber("BENCH_WARMUP", 1),
    connections: Math.round(positiveNumber("BENCH_CONNECTIONS", 10)),
    hashConnections,
    // At least two per login connection: see roundRobinLogins in lib/load.ts.
    users: Math.max(Math.round(positiveNumber("BENCH_USERS", 16)), 2 * hashConnections),
    microCpuNs: smoke ? 100e6 : 642e6,
    microArgonCpuNs: smoke ? 150e6 : 1.5e9,
    microMinSamples: smoke ? 2 : 12,
    microArgonMinSamples: smoke ? 1 : 6,
    adminDatabaseUrl:
      process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres",
    redisUrl: process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379",
    sessionStore: oneOf("BENCH_SESSION_STORE", ["redis", "sql"] as const, "redis"),
    jwtAlgorithm: oneOf("BENCH_JWT_ALG", ["EdDSA", "ES256", "HS256"] as const, "EdDSA"),
    serviceLogLevel: process.env.BENCH_LOG_LEVEL || "warn",
    skipBuild: flag("BENCH_SKIP_BUILD"),
    rateLimits: oneOf("BENCH_RATE_LIMITS", ["high", "off"] as const, "high"),
    only: (process.env.BENCH_ONLY ?? "").split(",").map((key) => key.trim()).filter(Boolean),
  };
}

/** The slice of Bun's global this suite uses; declared so the Node type-check needs no Bun types. */
interface BunGlobal {
  version: string;
}

export function bunGlobal(): BunGlobal | undefined {
  return (globalThis as { Bun?: BunGlobal }).Bun;
}

export const isBun = bunGlobal() !== undefined;

export function runtimeName(): "bun" | "node" {
  return isBun ? "bun" : "node";
}

export function runtimeVersion(): string {
  return bunGlobal()?.version ?? process.versions.node;
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

/** True when `importMetaUrl` is the script the runtime was asked to run (not imported by run.ts). */
export function isEntrypoint(importMetaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  return importMetaUrl === pathToFileURL(resolve(script)).href;
}
