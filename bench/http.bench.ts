import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { composeStores } from "../src/compose.js";
import { createPostgresDatabase } from "../src/db/database.js";
import { createAccessTokensFromConfig } from "../src/tokens/jwt.js";
import { createFreshDatabase, createFreshRedisPrefix } from "./lib/backends.js";
import type { Fixtures } from "./lib/fixtures.js";
import { signingKeysFromConfig } from "./lib/keys.js";
import { isEntrypoint, loadBenchOptions, type BenchOptions } from "./lib/options.js";
import { runScenarios, type Scenario, type ScenarioContext, type SeriesKey, type SeriesSummary } from "./lib/runner.js";
import { buildServiceIfNeeded, startBenchServers, type BenchServers } from "./lib/servers.js";
import { formatNumber, formatRatio } from "./lib/stats.js";
import { createLoginScenario } from "./scenarios/login.js";
import { createLogoutScenario } from "./scenarios/logout.js";
import { createMeFreshTokenScenario } from "./scenarios/me-fresh-token.js";
import { createMeUnderLoginLoadScenario } from "./scenarios/me-under-login-load.js";
import { createMeScenario } from "./scenarios/me.js";
import { createRefreshScenario } from "./scenarios/refresh.js";
import { createRegisterScenario } from "./scenarios/register.js";
import { createYardstickScenario } from "./scenarios/yardsticks.js";

/**
 * The HTTP load run: the real service as a child process over a fresh PostgreSQL database and a
 * fresh Redis key prefix, the yardsticks in a second child process (bench/lib/servers.ts), and the
 * scenarios of bench/scenarios/, each with its own set-up and state, run in interleaved rounds by
 * bench/lib/runner.ts. autocannon drives the servers from this process, so the load generator
 * shares the machine's cores with them.
 */

export interface HttpReport {
  series: SeriesSummary[];
  service: { command: string; env: Record<string, string>; logPath: string };
  /** The password hasher the service runs, resolved as the service resolves it (PASSWORD_HASHER, PASSWORD_HASH_WORKERS). */
  hasher: { implementation: "native" | "wasm"; concurrency: number };
  yardstick: { command: string };
  backends: { postgres: string; redis: string; sessionStore: "redis" | "sql" };
  jwtAlgorithm: string;
  durationSeconds: number;
  runs: number;
  warmupSeconds: number;
  elapsedSeconds: number;
}

type Log = (line: string) => void;

/** Every scenario in report order, with the series it measures, so BENCH_ONLY skips the others' set-up too. */
function scenarioCatalogue(context: ScenarioContext, servers: BenchServers): Array<{ keys: SeriesKey[]; create: () => Scenario | Promise<Scenario> }> {
  const { wasmService } = servers;
  return [
    { keys: ["bare"], create: () => createYardstickScenario(context, "bare") },
    { keys: ["verify"], create: () => createYardstickScenario(context, "verify") },
    { keys: ["me"], create: () => createMeScenario(context) },
    { keys: ["me-fresh"], create: () => createMeFreshTokenScenario(context) },
    { keys: ["refresh"], create: () => createRefreshScenario(context) },
    { keys: ["logout"], create: () => createLogoutScenario(context) },
    { keys: ["login"], create: () => createLoginScenario(context, { key: "login", label: "POST /login", baseUrl: context.serviceUrl }) },
    ...(wasmService
      ? [
          {
            keys: ["login-wasm" as const],
            create: () =>
              createLoginScenario(context, { key: "login-wasm", label: "POST /login, same service with PASSWORD_HASHER=wasm", baseUrl: wasmService.baseUrl }),
          },
        ]
      : []),
    { keys: ["register"], create: () => createRegisterScenario(context) },
    { keys: ["me-under-login", "login-under-me"], create: () => createMeUnderLoginLoadScenario(context) },
  ];
}

export async function runHttp(options: BenchOptions, log: Log = (line) => console.log(line)): Promise<HttpReport> {
  const started = performance.now();
  const cleanups: Array<() => Promise<void>> = [];
  const onCleanup = (step: () => Promise<void>) => void cleanups.push(step);
  let failed = false;
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        log(`cleanup step failed: ${(error as Error).message}`);
      }
    }
  };
  // Ctrl-C mid-run must not leave servers, a database or Redis keys behind.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    buildServiceIfNeeded(options, log);
    const workDir = await mkdtemp(join(tmpdir(), "auth-service-bench-"));
    // The servers' logs live here: kept when the run fails, so there is something to read.
    onCleanup(async () => {
      if (failed) log(`the servers' logs are kept in ${workDir}`);
      else await rm(workDir, { recursive: true, force: true });
    });
    const database = await createFreshDatabase(options.adminDatabaseUrl);
    onCleanup(() => database.cleanup());
    const redis = await createFreshRedisPrefix(options.redisUrl);
    onCleanup(() => redis.cleanup());
    const servers = await startBenchServers({ options, workDir, database, redis, onCleanup, log });
    const { config, service } = servers;

    // The bench's own handles on the storage the service uses (migrated by the service at start),
    // composed by the service's composition root, so set-up writes exactly what the service reads.
    const databaseHandle = await createPostgresDatabase({ url: database.url, poolSize: 4 });
    onCleanup(() => databaseHandle.close());
    const stores = composeStores(config, { database: databaseHandle, redis: config.redis ? redis.client : undefined });
    const fixtures: Fixtures = {
      stores,
      accessTokens: createAccessTokensFromConfig(config, await signingKeysFromConfig(config)),
      sessionLifetimes: { idleTtlSeconds: config.tokens.refreshTokenTtlSeconds, maxLifetimeSeconds: config.tokens.sessionMaxLifetimeSeconds },
      runTag: `${Date.now().toString(36)}${crypto.randomUUID().slice(0, 4)}`,
    };
    const context: ScenarioContext = {
      serviceUrl: service.baseUrl,
      yardstickUrl: servers.yardstick.baseUrl,
      connections: options.connections,
      hashConnections: options.hashConnections,
      users: options.users,
      fixtures,
      log,
    };

    // BENCH_ONLY=me,bare runs only the scenarios measuring those series (for investigating one figure).
    const selected = scenarioCatalogue(context, servers).filter((entry) => options.only.length === 0 || entry.keys.some((key) => options.only.includes(key)));
    log(`setting up ${selected.length} scenarios ...`);
    const scenarios: Scenario[] = [];
    // One after another: set-ups that register accounts queue on the service's hasher.
    for (const entry of selected) scenarios.push(await entry.create());

    const series = await runScenarios(scenarios, {
      runs: options.runs,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      servers: [service, servers.yardstick, ...(servers.wasmService ? [servers.wasmService] : [])],
      log,
    });
    if (/"level":(50|60)/.test(service.tail(200))) log(`the service logged errors; see ${service.logPath} (kept only until cleanup):\n${service.tail(10)}`);

    const { serviceEnv, hasher } = servers;
    const hashing = config.passwordHashing;
    return {
      series,
      service: {
        command: servers.serviceCommand,
        env: {
          NODE_ENV: serviceEnv.NODE_ENV!,
          LOG_LEVEL: serviceEnv.LOG_LEVEL!,
          JWT: options.jwtAlgorithm,
          SESSIONS: options.sessionStore,
          PASSWORD_HASHER: `${hashing.hasher ?? "auto"} (${hasher.implementation} in use)`,
          PASSWORD_HASH_WORKERS: `${hashing.workers ?? "unset"} (${hasher.concurrency} at once)`,
          PASSWORD_HASH_MAX_QUEUE: String(hashing.maxQueue),
          DATABASE_POOL_SIZE: String(config.database.poolSize),
          RATE_LIMITS: options.rateLimits === "off" ? "off" : "on, at 1000000/1s (never reached)",
        },
        logPath: service.logPath,
      },
      hasher,
      yardstick: { command: servers.yardstickCommand },
      backends: { postgres: database.serverVersion, redis: redis.serverVersion, sessionStore: options.sessionStore },
      jwtAlgorithm: options.jwtAlgorithm,
      durationSeconds: options.durationSeconds,
      runs: options.runs,
      warmupSeconds: options.warmupSeconds,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

if (isEntrypoint(import.meta.url)) {
  const report = await runHttp(loadBenchOptions());
  console.log("\nmedians:");
  for (const s of report.series) {
    console.log(
      `  ${s.key.padEnd(15)} ${formatNumber(s.okPerSecond).padStart(8)} req/s  p50 ${formatNumber(s.p50Ms)} ms  p99 ${formatNumber(s.p99Ms)} ms  ` +
        `(${formatRatio(s.ratios.okPerSecondToBare)} bare, ${formatRatio(s.ratios.okPerSecondToVerify)} verify)`,
    );
  }
}
