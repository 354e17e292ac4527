import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import { ConfigError, loadConfig, type Config, type LoadConfigOptions, type RedisClusterConfig } from "./config.js";
import {
  createAccessTokensFromConfig,
  createSigningKeys,
  generateSigningJwk,
  type PrivateSigningJwk,
  type SigningKeys,
} from "./tokens/jwt.js";
import { createPgliteDatabase, createPostgresDatabase, MIGRATIONS_FOLDER, type DatabaseHandle } from "./db/database.js";
import type { AppDeps, ReadinessCheck } from "./deps.js";
import { createLogger } from "./observability/logger.js";
import { collectProcessMetrics } from "./observability/metrics.js";
import { createPasswordHasher } from "./password/index.js";
import { createRedisLoginThrottleStore } from "./login-throttle/redis-store.js";
import { createRedisRateLimitStore } from "./rate-limit/redis-store.js";
import { createRedisSessionStore } from "./sessions/redis-store.js";
import { createSqlSecurityEventStore } from "./events/sql-store.js";
import { createSqlSessionStore } from "./sessions/sql-store.js";
import type { SessionStore } from "./sessions/store.js";
import { createSqlUserStore } from "./users/sql-store.js";

/**
 * Builds every dependency from the config, once, for a runtime entrypoint (Node or Bun: both
 * implement node:fs and node:worker_threads, so this is shared) and tears them down again.
 */
export interface Runtime {
  deps: AppDeps;
  logger: Logger;
  close(): Promise<void>;
}

/** A bad value stops the start with one line naming the variable. */
export function loadConfigOrExit(env: Record<string, string | undefined>, options?: LoadConfigOptions): Config {
  try {
    return loadConfig(env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`auth-service: invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
}

/** Expired SQL sessions are never served, so pruning only reclaims rows; events past retention go too. */
const PRUNE_INTERVAL_MS = 10 * 60 * 1000;

/** Moved to src/observability/logger.ts (redaction, pretty or JSON); re-exported for existing importers. */
export { createLogger };

export async function openDatabase(config: Config): Promise<DatabaseHandle> {
  if (config.database.url) {
    return createPostgresDatabase({ url: config.database.url, poolSize: config.database.poolSize });
  }
  const dataDir = join(config.dataDir, "pglite");
  await mkdir(dataDir, { recursive: true });
  return createPgliteDatabase({ dataDir });
}

export function createRedisClient(url: string): Redis {
  return new Redis(url, {
    // Fail fast while Redis is away (a 503 within seconds, not a queue that hangs requests) and
    // keep reconnecting in the background, so the service recovers without a restart.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    commandTimeout: 3_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  });
}

/**
 * A Redis Cluster client with the fail-fast behaviour of createRedisClient: no offline queue (a
 * command while the cluster is unreachable fails at once, which becomes a 503), one retry per
 * command on a node, bounded connect and command timeouts, and background reconnection. Every
 * multi-key script of the stores keeps its keys in one slot with a hash tag (CROSSSLOT otherwise).
 */
export function createRedisClusterClient(cluster: RedisClusterConfig): Cluster {
  return new Cluster(cluster.nodes, {
    enableOfflineQueue: false,
    enableReadyCheck: true,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    slotsRefreshTimeout: 3_000,
    lazyConnect: false,
    // With TLS, connect to the configured host names rather than the IPs they resolve to, so the
    // certificate's name matches (ioredis's note on managed clusters such as ElastiCache).
    ...(cluster.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
    redisOptions: {
      username: cluster.username,
      password: cluster.password,
      tls: cluster.tls ? {} : undefined,
      maxRetriesPerRequest: 1,
      connectTimeout: 3_000,
      commandTimeout: 3_000,
    },
  });
}

function loadSigningKeys(config: Config, logger: Logger): Promise<SigningKeys> {
  return createSigningKeys(config.jwt.signing, () => loadOrCreateDevelopmentKey(config.dataDir, logger));
}

/** Development only: an Ed25519 key made once and kept under the data directory (mode 0600). */
async function loadOrCreateDevelopmentKey(dataDir: string, logger: Logger): Promise<PrivateSigningJwk> {
  const path = join(dataDir, "jwt-signing-key.json");
  try {
    return JSON.parse(await readFile(path, "utf8")) as PrivateSigningJwk;
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const jwk = await generateSigningJwk();
  await writeFile(path, JSON.stringify(jwk), { mode: 0o600, flag: "wx" });
  await chmod(path, 0o600);
  logger.warn({ path }, "generated a development signing key; set JWT_PRIVATE_KEYS or JWT_SECRET in production");
  return jwk;
}

async function waitUntilReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function createRuntime(config: Config, options: { logger?: Logger } = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config);
  const accessTokens = createAccessTokensFromConfig(config, await loadSigningKeys(config, logger));

  const database = await openDatabase(config);
  if (config.database.migrateOnStart) await database.migrate(MIGRATIONS_FOLDER);
  const readinessChecks: ReadinessCheck[] = [{ name: "database", check: () => database.ping() }];

  const events = createSqlSecurityEventStore({ db: database.db });
  let redis: Redis | Cluster | undefined;
  let sessions: SessionStore;
  let pruneExpiredSessions: (now: Date) => Promise<unknown> = async () => {};
  let counters: Pick<AppDeps, "rateLimitStore" | "loginThrottleStore"> = {};
  if (config.redis) {
    redis = config.redis.cluster ? createRedisClusterClient(config.redis.cluster) : createRedisClient(config.redis.url);
    redis.on("error", (error: Error & { code?: string }) =>
      logger.warn({ err: { message: error.message, code: error.code } }, "redis error"),
    );
    // A cluster reports the errors of its single nodes apart from its own.
    redis.on("node error", (error: Error & { code?: string }, node: string) =>
      logger.warn({ err: { message: error.message, code: error.code }, node }, "redis cluster node error"),
    );
    await waitUntilReady(redis, 3_000);
    const redisSessions = createRedisSessionStore({ client: redis, keyPrefix: config.redis.keyPrefix });
    readinessChecks.push({ name: "redis", check: () => redisSessions.ping() });
    sessions = redisSessions;
    // Rate-limit and failed-login counters in Redis too, so that every instance shares them.
    const client = redis;
    const prefix = config.redis.keyPrefix;
    counters = {
      rateLimitStore: (limit) => createRedisRateLimitStore({ client, keyPrefix: `${prefix}rate-limit:${limit}:` }),
      loginThrottleStore: createRedisLoginThrottleStore({ client, keyPrefix: `${prefix}login-throttle:` }),
    };
  } else {
    const sqlSessions = createSqlSessionStore({ db: database.db });
    pruneExpiredSessions = (now) => sqlSessions.pruneExpired(now);
    sessions = sqlSessions;
  }
  const pruneTimer = setInterval(() => {
    const now = new Date();
    const cutoff = new Date(now.getTime() - config.securityEvents.retentionSeconds * 1000);
    Promise.all([pruneExpiredSessions(now), events.pruneBefore(cutoff)]).catch((error: unknown) =>
      logger.warn({ err: error }, "pruning failed"),
    );
  }, PRUNE_INTERVAL_MS);
  pruneTimer.unref?.();

  const password = await createPasswordHasher({
    implementation: config.passwordHashing.hasher,
    concurrency: config.passwordHashing.workers,
    maxQueue: config.passwordHashing.maxQueue,
  });
  const { hasher } = password;
  logger.info(
    { implementation: password.implementation, concurrency: password.concurrency, nativeUnavailable: password.nativeUnavailable },
    "password hashing",
  );

  // Process metrics once per process; createApp adds the app's own to this registry.
  const metricsRegistry = new Registry();
  collectProcessMetrics(metricsRegistry, logger);
  // The OpenTelemetry SDK only when an OTLP endpoint is configured; otherwise it is not even loaded.
  const tracing = config.tracing ? (await import("./observability/tracing-sdk.js")).startTracing(config.tracing) : undefined;
  if (config.tracing) logger.info({ endpoint: new URL(config.tracing.tracesUrl).origin, serviceName: config.tracing.serviceName }, "exporting traces over OTLP/HTTP");

  return {
    logger,
    deps: {
      config,
      logger,
      users: createSqlUserStore({ db: database.db }),
      sessions,
      events,
      hasher,
      accessTokens,
      readinessChecks,
      ...counters,
      metricsRegistry,
      ...(tracing && { tracing: tracing.deps }),
    },
    async close() {
      clearInterval(pruneTimer);
      await hasher.close();
      redis?.disconnect();
      await database.close();
      // Last, so that the spans of everything above are exported; a collector that is away must not fail the shutdown.
      await tracing?.shutdown().catch((error: unknown) => logger.warn({ err: { name: (error as Error)?.name } }, "trace export at shutdown failed"));
    },
  };
}

export interface GracefulShutdownOptions {
  logger: Logger;
  timeoutSeconds: number;
  /** Stops accepting connections; resolves when in-flight requests have finished. */
  drain(): Promise<void>;
  /** Cuts the connections still open when `timeoutSeconds` has passed. */
  forceClose(): void;
  /** Releases the dependencies (pools, Redis, hashing workers). */
  release(): Promise<void>;
}

/** On SIGTERM or SIGINT: drain (bounded by the timeout), release the dependencies, exit 0. */
export function installGracefulShutdown(options: GracefulShutdownOptions): void {
  const { logger } = options;
  let stopping = false;
  async function shutdown(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      logger.warn("in-flight requests did not finish in time; closing their connections");
      options.forceClose();
    }, options.timeoutSeconds * 1000);
    try {
      await options.drain();
      clearTimeout(deadline);
      await options.release();
      logger.info("stopped");
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  }
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}
