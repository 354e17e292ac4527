import { loadBranding } from "./pages/index.js";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import { ConfigError, loadConfig, type Config, type LoadConfigOptions, type RedisClusterConfig } from "./config.js";
import {
  createSigningKeys,
  generateSigningJwk,
  type PrivateSigningJwk,
  type SigningKeys,
} from "./tokens/jwt.js";
import { createPgliteDatabase, createPostgresDatabase, MIGRATIONS_FOLDER, type DatabaseHandle } from "./db/database.js";
import { compose, type ComposeOptions, type StorageHandles } from "./compose.js";
import type { AppDeps } from "./deps.js";
import { logError } from "./lib/loggable-error.js";
import { createLogger } from "./observability/logger.js";

/** The logger createRuntime builds when given none (test/observability/logging.test.ts pins that it is this one). */
export { createLogger };
import { collectProcessMetrics } from "./observability/metrics.js";
import { createPasswordHasher } from "./password/index.js";
import { createMailer, createMailTemplates, type Mailer, type MailTemplates } from "./mail/index.js";
import { generateMfaEncryptionKey, MFA_KEY_BYTES } from "./mfa/index.js";

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

/**
 * The key that seals TOTP secrets: MFA_ENCRYPTION_KEY; outside production without it, one made once
 * under the data directory (mode 0600), like the development signing key; in production without
 * it none, and the log says that enrolment is off.
 */
export async function loadMfaEncryptionKey(config: Pick<Config, "mfa" | "dataDir">, logger: Logger): Promise<Uint8Array | undefined> {
  const { encryptionKey } = config.mfa;
  if (encryptionKey.kind === "configured") return encryptionKey.key;
  if (encryptionKey.kind === "none") {
    logger.warn("mfa: no MFA_ENCRYPTION_KEY; enrolling a second factor answers 503 MFA_NOT_CONFIGURED (set 32 random bytes, base64: `openssl rand -base64 32`)");
    return undefined;
  }
  const path = join(config.dataDir, "mfa-encryption-key");
  try {
    const key = Uint8Array.from(atob((await readFile(path, "utf8")).trim()), (c) => c.charCodeAt(0));
    if (key.length === MFA_KEY_BYTES) return key;
    throw new Error(`${path} does not hold ${MFA_KEY_BYTES} bytes of base64`);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
  await mkdir(config.dataDir, { recursive: true });
  const key = generateMfaEncryptionKey();
  await writeFile(path, btoa(String.fromCharCode(...key)), { mode: 0o600, flag: "wx" });
  await chmod(path, 0o600);
  logger.warn({ path }, "generated a development MFA encryption key; set MFA_ENCRYPTION_KEY in production");
  return key;
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

/** The database (migrated when MIGRATE_ON_START) and, when configured, Redis: what the stores need. */
export async function openStorage(config: Config, logger: Logger): Promise<StorageHandles & { close(): Promise<void> }> {
  const database = await openDatabase(config);
  if (config.database.migrateOnStart) await database.migrate(MIGRATIONS_FOLDER);
  if (!config.redis) return { database, close: () => database.close() };
  const redis = config.redis.cluster ? createRedisClusterClient(config.redis.cluster) : createRedisClient(config.redis.url);
  redis.on("error", (error: Error) => logError(logger, "redis error", error));
  // A cluster reports the errors of its single nodes apart from its own.
  redis.on("node error", (error: Error, node: string) => logError(logger, "redis cluster node error", error, { node }));
  await waitUntilReady(redis, 3_000);
  return {
    database,
    redis,
    async close() {
      redis.disconnect();
      await database.close();
    },
  };
}

/**
 * The mailer the config names and the templates (a deployer's files are read and checked now, so a
 * bad template fails the start). Says in the log where mail goes: never the SMTP credentials.
 */
export async function openMail(config: Pick<Config, "mail">, logger: Logger): Promise<{ mailer: Mailer; mailTemplates: MailTemplates }> {
  const { mail } = config;
  const mailTemplates = await createMailTemplates({
    product: mail.productName,
    appUrl: mail.appUrl,
    linkPaths: mail.linkPaths,
    ...(mail.templatesDir && { templatesDir: mail.templatesDir }),
  });
  const { transport } = mail;
  const mailer = createMailer({
    smtpUrl: transport.kind === "smtp" ? transport.url : undefined,
    outboxDir: transport.kind === "outbox-directory" ? transport.dir : undefined,
    from: mail.from,
  });
  if (transport.kind === "smtp") {
    const url = new URL(transport.url);
    logger.info({ transport: `${url.protocol}//${url.hostname}:${url.port || (url.protocol === "smtps:" ? 465 : 587)}`, from: mail.from }, "mail: sending over SMTP");
  } else if (transport.kind === "outbox-directory") {
    logger.warn({ dir: transport.dir }, `mail: no SMTP_URL; messages are written as .eml files to ${transport.dir} (development only)`);
  } else {
    logger.warn("mail: not configured (no SMTP_URL); verification, password reset and email change answer 503 MAIL_NOT_CONFIGURED");
  }
  return { mailer, mailTemplates };
}

export interface CreateRuntimeOptions extends Pick<ComposeOptions, "remoteAddress"> {
  logger?: Logger;
}

/** Opens every handle the config names, composes the app's dependencies over them (src/compose.ts) and starts their upkeep. */
export async function createRuntime(config: Config, options: CreateRuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config);
  const signingKeys = await loadSigningKeys(config, logger);
  const storage = await openStorage(config, logger);
  const mail = await openMail(config, logger);
  const mfaEncryptionKey = await loadMfaEncryptionKey(config, logger);
  // Read once: a missing or oversized logo fails the start, not the first sign-in page.
  const branding = await loadBranding(config.pages);

  const password = await createPasswordHasher({
    implementation: config.passwordHashing.hasher,
    concurrency: config.passwordHashing.workers,
    maxQueue: config.passwordHashing.maxQueue,
    maxPerClient: config.passwordHashing.maxPerClient,
  });
  const { hasher } = password;
  logger.info(
    { implementation: password.implementation, concurrency: password.concurrency, nativeUnavailable: password.nativeUnavailable },
    "password hashing",
  );

  if (config.env === "production" && config.metrics.token === undefined && config.metrics.port === undefined) {
    logger.warn("/metrics is not served: in production set METRICS_PORT (a listener of its own) or METRICS_TOKEN (a bearer token on the public port)");
  }
  // Process metrics once per process; createApp adds the app's own to this registry.
  const metricsRegistry = new Registry();
  collectProcessMetrics(metricsRegistry, logger);
  // The OpenTelemetry SDK only when an OTLP endpoint is configured; otherwise it is not even loaded.
  const tracing = config.tracing ? (await import("./observability/tracing-sdk.js")).startTracing(config.tracing) : undefined;
  if (config.tracing) logger.info({ endpoint: new URL(config.tracing.tracesUrl).origin, serviceName: config.tracing.serviceName }, "exporting traces over OTLP/HTTP");

  const { deps, prune } = compose(config, { ...storage, ...mail, hasher, signingKeys, branding, ...(mfaEncryptionKey && { mfaEncryptionKey }) }, {
    logger,
    metricsRegistry,
    ...(options.remoteAddress && { remoteAddress: options.remoteAddress }),
    ...(tracing && { tracing: tracing.deps }),
  });
  const pruneTimer = setInterval(() => {
    prune(new Date()).catch((error: unknown) => logError(logger, "pruning failed", error));
  }, PRUNE_INTERVAL_MS);
  pruneTimer.unref?.();
  // Sends what is in the outbox now (messages left by a previous run included), then as they come.
  deps.mailQueue.start();

  return {
    logger,
    deps,
    async close() {
      clearInterval(pruneTimer);
      // Before the database closes: the worker finishes the send in flight; the rest waits in the outbox for the next start.
      await deps.background.whenIdle();
      await deps.mailQueue.stop();
      await mail.mailer.close();
      await hasher.close();
      await storage.close();
      // Last, so that the spans of everything above are exported; a collector that is away must not fail the shutdown.
      await tracing?.shutdown().catch((error: unknown) => logError(logger, "trace export at shutdown failed", error));
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
      logError(logger, "shutdown failed", error);
      process.exit(1);
    }
  }
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}
