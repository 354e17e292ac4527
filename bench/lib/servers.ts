import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair } from "jose";
import { loadConfig, type Config } from "../../src/config.js";
import { toBase64Url, randomBytes } from "../../src/lib/encoding.js";
import { createPasswordHasher } from "../../src/password/index.js";
import { generateSigningJwk, type PrivateSigningJwk } from "../../src/tokens/jwt.js";
import type { FreshDatabase, FreshRedisPrefix } from "./backends.js";
import { isBun, runtimeName, type BenchOptions } from "./options.js";
import { freePort, startChildServer, type ChildServer } from "./processes.js";

/**
 * The processes the HTTP run measures: the service as a container runs it (`node dist/node.js`, or
 * `bun src/bun.ts` under Bun), the yardsticks (bench/yardstick-server.ts) on the same runtime and
 * adapter, and, when the service hashes natively, the same build once more with PASSWORD_HASHER=wasm
 * so that both hashers' login throughput is reported.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

type Log = (line: string) => void;

/**
 * `tsc -p tsconfig.build.json`, so Node runs the service the way a container does: from dist/.
 * Bun runs src/bun.ts as it is. run.ts calls this before the microbenchmarks, so that a broken
 * build fails the run at once.
 */
export function buildServiceIfNeeded(options: BenchOptions, log: Log = (line) => console.log(line)): void {
  if (isBun || options.skipBuild) return;
  log("building dist/ (tsc -p tsconfig.build.json) ...");
  const result = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("the build failed; fix it or run with BENCH_SKIP_BUILD=1 against an existing dist/");
}

async function signingEnv(alg: BenchOptions["jwtAlgorithm"]): Promise<Record<string, string>> {
  switch (alg) {
    case "HS256":
      return { JWT_SECRET: toBase64Url(randomBytes(32)), JWT_PRIVATE_KEYS: "" };
    case "EdDSA":
      return { JWT_PRIVATE_KEYS: JSON.stringify([await generateSigningJwk()]), JWT_SECRET: "" };
    case "ES256": {
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), kid: "bench-es256" } as PrivateSigningJwk;
      return { JWT_PRIVATE_KEYS: JSON.stringify([jwk]), JWT_SECRET: "" };
    }
  }
}

export interface BenchServers {
  service: ChildServer;
  yardstick: ChildServer;
  /** Only when the service runs the native hasher. */
  wasmService?: ChildServer;
  /** The service's config, parsed from exactly the environment it was started with. */
  config: Config;
  /** What the service is told besides its inherited environment. */
  serviceEnv: Record<string, string>;
  serviceCommand: string;
  yardstickCommand: string;
  /** The password hasher the service runs, resolved as the service resolves it. */
  hasher: { implementation: "native" | "wasm"; concurrency: number };
}

export interface StartBenchServersOptions {
  options: BenchOptions;
  /** Where the servers' logs go. */
  workDir: string;
  database: FreshDatabase;
  redis: FreshRedisPrefix;
  /** Registers a teardown step; each server is stopped through its own handle. */
  onCleanup: (step: () => Promise<void>) => void;
  log: Log;
}

export async function startBenchServers({ options, workDir, database, redis, onCleanup, log }: StartBenchServersOptions): Promise<BenchServers> {
  const [servicePort, yardstickPort] = [await freePort(), await freePort()];
  const jwtEnv = await signingEnv(options.jwtAlgorithm);
  // The inherited environment passes through, so PASSWORD_HASH_WORKERS=2 npm run bench works.
  const serviceEnv: Record<string, string> = {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(servicePort),
    DATABASE_URL: database.url,
    REDIS_URL: options.sessionStore === "redis" ? options.redisUrl : "",
    REDIS_KEY_PREFIX: redis.keyPrefix,
    DATA_DIR: join(workDir, "data"),
    MIGRATE_ON_START: "true",
    LOG_LEVEL: options.serviceLogLevel,
    // Every request comes from 127.0.0.1, so the per-IP limits (10 registrations an hour...) would
    // answer 429 within a second. A limit no run can reach keeps the limiter's per-request cost in
    // the figures; BENCH_RATE_LIMITS=off measures without it.
    ...Object.fromEntries(
      ["RATE_LIMIT_REGISTER", "RATE_LIMIT_LOGIN", "RATE_LIMIT_REFRESH"].map((name) => [name, options.rateLimits === "off" ? "off" : "1000000/1s"]),
    ),
    ...jwtEnv,
  };
  const config = loadConfig({ ...process.env, ...serviceEnv });

  const serviceArgs = isBun ? ["src/bun.ts"] : ["dist/node.js"];
  const yardstickArgs = isBun ? ["bench/yardstick-server.ts"] : ["--import", "tsx", "bench/yardstick-server.ts"];
  const start = async (name: string, args: string[], env: NodeJS.ProcessEnv, port: number, readyPath: string, logFile: string) => {
    const server = await startChildServer({ name, command: process.execPath, args, cwd: ROOT, env, port, readyPath, logPath: join(workDir, logFile) });
    onCleanup(() => server.stop());
    return server;
  };

  const service = await start("auth-service", serviceArgs, { ...process.env, ...serviceEnv }, servicePort, "/readyz", "service.log");
  const yardstickEnv = {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(yardstickPort),
    JWT_ISSUER: config.jwt.issuer,
    JWT_AUDIENCE: config.jwt.audience,
    ...jwtEnv,
  };
  const yardstick = await start("yardstick", yardstickArgs, yardstickEnv, yardstickPort, "/bare", "yardstick.log");
  log(`service   ${service.command} (pid ${service.pid}) at ${service.baseUrl}`);
  log(`yardstick ${yardstick.command} (pid ${yardstick.pid}) at ${yardstick.baseUrl}`);

  const hasher = await hasherTheServiceChose(config);
  log(`password hasher: ${hasher.implementation}, ${hasher.concurrency} at once`);

  // With the native hasher, the same build with PASSWORD_HASHER=wasm, so the report gives a deployer
  // the login throughput of both. It idles while the other scenarios run; the first service migrated.
  let wasmService: ChildServer | undefined;
  if (hasher.implementation === "native") {
    const port = await freePort();
    const env = { ...process.env, ...serviceEnv, PORT: String(port), PASSWORD_HASHER: "wasm", MIGRATE_ON_START: "false" };
    wasmService = await start("auth-service (PASSWORD_HASHER=wasm)", serviceArgs, env, port, "/readyz", "service-wasm.log");
    log(`service   ${wasmService.command} with PASSWORD_HASHER=wasm (pid ${wasmService.pid}) at ${wasmService.baseUrl}`);
  }

  return {
    service,
    yardstick,
    wasmService,
    config,
    serviceEnv,
    serviceCommand: [runtimeName(), ...serviceArgs].join(" "),
    yardstickCommand: [runtimeName(), ...yardstickArgs].join(" "),
    hasher,
  };
}

/**
 * Which hasher the service chose (PASSWORD_HASHER=auto picks native when it loads): the service says
 * so only in an info log line, so the same factory resolves the same config here, hashes nothing,
 * and is closed again. The report needs it to compare /login with the micro figure of that hasher.
 */
async function hasherTheServiceChose(config: Config): Promise<BenchServers["hasher"]> {
  const { hasher, workers } = config.passwordHashing;
  const probe = await createPasswordHasher({ implementation: hasher, concurrency: workers, maxQueue: 1 });
  await probe.hasher.close();
  return { implementation: probe.implementation, concurrency: probe.concurrency };
}
