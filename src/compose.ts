import type { Context } from "hono";
import type { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import type { Config } from "./config.js";
import type { DatabaseHandle } from "./db/database.js";
import type { AppDeps, ReadinessCheck } from "./deps.js";
import { createSqlSecurityEventStore } from "./events/sql-store.js";
import { createRedisLoginThrottleStore } from "./login-throttle/redis-store.js";
import type { TracingDeps } from "./observability/tracing.js";
import type { PasswordHasher } from "./password/hasher.js";
import { createPasswordPolicy } from "./password/policy.js";
import { createRedisRateLimitStore } from "./rate-limit/redis-store.js";
import { createRedisSessionStore } from "./sessions/redis-store.js";
import { createSqlSessionStore } from "./sessions/sql-store.js";
import { createAccessTokensFromConfig, type AccessTokenOptions, type SigningKeys } from "./tokens/jwt.js";
import { createSqlUserStore } from "./users/sql-store.js";
import { createMailQueue, createOutboxSealer, type Mailer, type MailQueueOptions, type MailTemplates } from "./mail/index.js";
import { createMailMetrics } from "./observability/metrics.js";
import { createSqlOneTimeTokenStore } from "./recovery/index.js";
import { createBackgroundTasks } from "./lib/background.js";
import { createSecretBox, createSqlMfaStore } from "./mfa/index.js";
import { createSqlPasskeyStore } from "./passkeys/index.js";
import { createSqlClientStore } from "./oauth/clients/index.js";
import { createSqlOAuthStore } from "./oauth/index.js";
import type { Branding } from "./pages/index.js";

/**
 * The one composition root: config + opened handles -> every dependency of the app. Pure and
 * synchronous (opening and closing the handles is the caller's business: src/bootstrap.ts for the
 * entrypoints and the CLI, test/helpers/test-app.ts for the tests, bench/ for the benchmark), so
 * every caller gets the same wiring and only chooses its handles and options: a fast hasher or a
 * clock in tests, the peer address function in an entrypoint.
 */

/** The storage connections a deployment opens: always a database; Redis when `config.redis` names one. */
export interface StorageHandles {
  database: DatabaseHandle;
  redis?: Redis | Cluster;
}

export interface Handles extends StorageHandles {
  hasher: PasswordHasher;
  signingKeys: SigningKeys;
  /** The mailer the config asks for (SMTP, an outbox directory, or the unconfigured one); see src/mail/. */
  mailer: Mailer;
  /** The message templates, read and checked once at start. */
  mailTemplates: MailTemplates;
  /** The key that seals TOTP secrets (config or the development key); absent: enrolment answers 503. */
  mfaEncryptionKey?: Uint8Array;
  /** The hosted pages' branding with the logo read (loadBranding); absent: config.pages without a logo. */
  branding?: Branding;
}

export interface ComposeOptions {
  logger: Logger;
  /** Defaults to the wall clock; tests move time with their own. */
  clock?: () => Date;
  /** The peer address of a request, which only the runtime knows; absent: unknown. */
  remoteAddress?: (c: Context) => string | undefined;
  /** Where the app registers its metrics (the entrypoint adds process metrics); absent: a registry of the app's own. */
  metricsRegistry?: Registry;
  /** An OpenTelemetry tracer; absent: no spans and no wrappers. */
  tracing?: TracingDeps;
  accessTokens?: Pick<AccessTokenOptions, "verifiedTokenCacheSize">;
  /** The mail queue's timing (tests shorten the back-off); absent: its defaults. */
  mailQueue?: Pick<MailQueueOptions, "retryBaseSeconds" | "retryMaxSeconds" | "pollIntervalSeconds">;
}

/** The stores over the opened storage, the /readyz checks that belong to them, and their upkeep. */
export interface Stores extends Pick<AppDeps, "users" | "sessions" | "events" | "oneTimeTokens" | "mfa" | "passkeys" | "clients" | "oauth" | "rateLimitStore" | "loginThrottleStore" | "readinessChecks"> {
  /** Reclaims expired SQL sessions and events past retention (Redis expires its own keys). */
  prune(now: Date): Promise<void>;
}

/**
 * Users and security events always live in SQL. Sessions, rate-limit counters and failed-login
 * counts live in Redis when it is configured (shared by every instance), otherwise in the
 * database and in process.
 */
export function composeStores(config: Pick<Config, "redis" | "securityEvents">, handles: StorageHandles): Stores {
  const { database, redis } = handles;
  if (config.redis && !redis) throw new Error("config.redis is set but no Redis handle was opened");
  const users = createSqlUserStore({ db: database.db });
  const events = createSqlSecurityEventStore({ db: database.db });
  // One-time tokens always in SQL: a Redis eviction must never revive or lose one.
  const oneTimeTokens = createSqlOneTimeTokenStore({ db: database.db });
  // Second factors always in SQL, for the same reason.
  const mfa = createSqlMfaStore({ db: database.db });
  const passkeys = createSqlPasskeyStore({ db: database.db });
  // OAuth clients always in SQL: a Redis eviction must never lose a client or forget a spent assertion.
  const clients = createSqlClientStore({ db: database.db });
  // The OAuth provider's codes, grants and consents too.
  const oauth = createSqlOAuthStore({ db: database.db });
  const readinessChecks: ReadinessCheck[] = [{ name: "database", check: () => database.ping() }];
  const pruneEvents = async (now: Date) => {
    await events.pruneBefore(new Date(now.getTime() - config.securityEvents.retentionSeconds * 1000));
    await oneTimeTokens.pruneBefore(now);
    await mfa.pruneBefore(now);
    await passkeys.pruneBefore(now);
    await oauth.purgeExpired(now);
  };

  const sqlAlways = { users, events, oneTimeTokens, mfa, passkeys, clients, oauth, readinessChecks };
  if (config.redis && redis) {
    const prefix = config.redis.keyPrefix;
    const sessions = createRedisSessionStore({ client: redis, keyPrefix: prefix });
    readinessChecks.push({ name: "redis", check: () => sessions.ping() });
    return {
      ...sqlAlways,
      sessions,
      rateLimitStore: (limit) => createRedisRateLimitStore({ client: redis, keyPrefix: `${prefix}rate-limit:${limit}:` }),
      loginThrottleStore: createRedisLoginThrottleStore({ client: redis, keyPrefix: `${prefix}login-throttle:` }),
      prune: async (now) => void (await pruneEvents(now)),
    };
  }
  const sessions = createSqlSessionStore({ db: database.db });
  return {
    ...sqlAlways,
    sessions,
    prune: async (now) => void (await Promise.all([sessions.pruneExpired(now), pruneEvents(now)])),
  };
}

export interface Composition {
  deps: AppDeps;
  prune: Stores["prune"];
}

export function compose(config: Config, handles: Handles, options: ComposeOptions): Composition {
  const { prune, ...stores } = composeStores(config, handles);
  // The mail queue's counters (its worker counts with no request in sight): on the entrypoint's
  // registry when there is one, else on one of their own that each app's /metrics also serves.
  const mailMetricsRegistry = options.metricsRegistry ?? new Registry();
  const mailMetrics = createMailMetrics(mailMetricsRegistry);
  // The durable outbox (src/mail/mail-queue.ts) on the wall clock: a test clock moved a day ahead
  // must not age the messages out. The entrypoint (bootstrap.ts) or the test starts its worker.
  const mailQueue = createMailQueue({
    db: handles.database.db,
    mailer: handles.mailer,
    sealer: createOutboxSealer(handles.signingKeys.secrets),
    logger: options.logger,
    maxAgeSeconds: config.mail.maxAgeSeconds,
    ...options.mailQueue,
    onSent: mailMetrics.onSent,
    onRetried: mailMetrics.onRetried,
    onDropped: mailMetrics.onDropped,
  });
  return {
    prune,
    deps: {
      config,
      logger: options.logger,
      ...stores,
      hasher: handles.hasher,
      signingKeys: handles.signingKeys,
      branding: handles.branding ?? { productName: config.pages.productName, accentColor: config.pages.accentColor },
      passwordPolicy: createPasswordPolicy({ minLength: config.passwords.minLength }),
      accessTokens: createAccessTokensFromConfig(config, handles.signingKeys, options.accessTokens),
      clock: options.clock ?? (() => new Date()),
      remoteAddress: options.remoteAddress ?? (() => undefined),
      ...(options.metricsRegistry && { metricsRegistry: options.metricsRegistry }),
      mailMetricsRegistry,
      mailQueue,
      background: createBackgroundTasks({ logger: options.logger }),
      mail: { configured: handles.mailer.configured, enqueue: (message) => mailQueue.enqueue(message) },
      mailTemplates: handles.mailTemplates,
      ...(handles.mfaEncryptionKey && { mfaSecretBox: createSecretBox(handles.mfaEncryptionKey) }),
      ...(options.tracing && { tracing: options.tracing }),
    },
  };
}
