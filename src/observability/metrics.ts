import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { routePath } from "hono/route";
import type { Logger } from "pino";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { PasswordHasher } from "../password/hasher.js";
import type { ReadinessCheck } from "../deps.js";
import { bearerChallenge, ProblemError, renderProblem } from "../http/problem.js";
import type { AuthOutcome } from "../auth/auth-service.js";

/**
 * Prometheus metrics of one app, in a registry of its own (never prom-client's global one), so that
 * two apps in one process (tests) never share a counter. Services know nothing of prom-client: they
 * report outcomes through small hooks (`onOutcome`, `onRejected`, `onRefused`) that land here.
 *
 * Label values are bounded: routes are Hono's registered patterns (`/sessions/:id`), never a raw
 * path; reasons and outcomes are fixed enums; nothing about a user or a token is ever a label.
 */

/** Counters of the mail outbox (src/mail/mail-queue.ts): hooks for its onSent/onRetried/onDropped. */
export interface MailMetrics {
  onSent(): void;
  onRetried(): void;
  onDropped(): void;
}

/**
 * Registered by the composition root, which builds the mail queue (its worker runs whether or not
 * requests come), on the same registry the app's metrics use. No label: nothing about a message
 * (recipient, template, link) is ever a label.
 */
export function createMailMetrics(registry: Registry): MailMetrics {
  const registers = [registry];
  const sent = new Counter({ name: "auth_mail_sent_total", help: "Messages the mail server accepted.", registers });
  const retried = new Counter({ name: "auth_mail_retried_total", help: "Failed send attempts scheduled for a retry.", registers });
  const dropped = new Counter({ name: "auth_mail_dropped_total", help: "Messages given up: not sent within MAIL_MAX_AGE.", registers });
  return { onSent: () => sent.inc(), onRetried: () => retried.inc(), onDropped: () => dropped.inc() };
}

/** The text format version Prometheus scrapes; prom-client's `registry.contentType`. */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Seconds. Most requests are milliseconds; login and register carry one Argon2id (~65 ms) each. */
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds, around the OWASP cost (~65 ms) and the queueing a busy pool adds in front of it. */
const HASH_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5];
/** A dependency that does not answer a scrape's ping within this is reported down (0). */
const DEPENDENCY_CHECK_TIMEOUT_MS = 1_000;

export interface AppMetrics {
  registry: Registry;
  /** Counts and times every request by method, route pattern and status. */
  middleware: MiddlewareHandler;
  /** The auth service's hook: login and refresh outcomes, reuse detections. */
  onAuthOutcome(outcome: AuthOutcome): void;
  /** The rate limiters' and the login throttle's hook: one refused request (limiter: register, login, refresh, login-account). */
  onRateLimited(limiter: string, route: string): void;
  /** The same hasher, timed: `auth_password_hash_duration_seconds{operation, outcome}`. */
  instrumentHasher(hasher: PasswordHasher): PasswordHasher;
}

export interface AppMetricsOptions {
  registry: Registry;
  /** Evaluated at scrape time, each bounded by a short timeout: `auth_dependency_up{dependency}`. */
  readinessChecks: ReadinessCheck[];
  /** Jobs waiting for a hashing worker, read at scrape time; absent: the gauge is left out. */
  hasherQueueDepth?: () => number;
}

export function createAppMetrics(options: AppMetricsOptions): AppMetrics {
  const { registry, readinessChecks } = options;
  const registers = [registry];

  const httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from the request reaching the app to its answer, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers,
  });
  const logins = new Counter({
    name: "auth_logins_total",
    help: "Login attempts that reached the credential check, by outcome (success, failure) and, for failures, reason.",
    labelNames: ["outcome", "reason"] as const,
    registers,
  });
  const refreshes = new Counter({
    name: "auth_refreshes_total",
    help: "Refresh-token presentations by outcome: rotated, replayed (within the grace window), reused (session revoked), invalid.",
    labelNames: ["outcome"] as const,
    registers,
  });
  const reuseDetections = new Counter({
    name: "auth_refresh_token_reuse_detected_total",
    help: "Spent refresh tokens presented again: each one revoked a whole session.",
    registers,
  });
  const rateLimited = new Counter({
    name: "auth_rate_limit_rejections_total",
    help: "Requests refused with 429, by route and limiter (per-IP register/login/refresh, per-account login-account).",
    labelNames: ["route", "limiter"] as const,
    registers,
  });
  const hashDuration = new Histogram({
    name: "auth_password_hash_duration_seconds",
    help: "Argon2id time seen by the caller (queueing for a worker included), by operation (hash, verify) and outcome (ok, busy, error).",
    labelNames: ["operation", "outcome"] as const,
    buckets: HASH_DURATION_BUCKETS,
    registers,
  });
  new Gauge({
    name: "auth_dependency_up",
    help: "1 when the dependency answered its readiness ping at scrape time, 0 otherwise.",
    labelNames: ["dependency"] as const,
    registers,
    async collect() {
      const results = await Promise.all(
        readinessChecks.map(async ({ name, check }) => [name, await answersWithin(check, DEPENDENCY_CHECK_TIMEOUT_MS)] as const),
      );
      this.reset();
      for (const [name, up] of results) this.set({ dependency: name }, up ? 1 : 0);
    },
  });
  const { hasherQueueDepth } = options;
  if (hasherQueueDepth) {
    new Gauge({
      name: "auth_password_hasher_queue_depth",
      help: "Password jobs waiting for a hashing worker (beyond PASSWORD_HASH_MAX_QUEUE they are refused with 503).",
      registers,
      collect() {
        this.set(hasherQueueDepth());
      },
    });
  }

  async function timed<T>(operation: "hash" | "verify", run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let outcome = "error";
    try {
      const result = await run();
      outcome = "ok";
      return result;
    } catch (error) {
      if ((error as Error)?.name === "PasswordHasherBusyError") outcome = "busy";
      throw error;
    } finally {
      hashDuration.observe({ operation, outcome }, (performance.now() - started) / 1000);
    }
  }

  return {
    registry,
    middleware: async function countRequests(c, next) {
      const started = performance.now();
      await next();
      const labels = { method: c.req.method, route: routePath(c), status: String(c.res.status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, (performance.now() - started) / 1000);
    },
    onAuthOutcome(outcome) {
      if (outcome.operation === "login") {
        if (outcome.outcome === "success") logins.inc({ outcome: "success" });
        else logins.inc({ outcome: "failure", reason: outcome.reason });
        return;
      }
      refreshes.inc({ outcome: outcome.outcome });
      if (outcome.outcome === "reused") reuseDetections.inc();
    },
    onRateLimited(limiter, route) {
      rateLimited.inc({ limiter, route });
    },
    instrumentHasher(hasher) {
      return {
        ...hasher,
        hash: (password, job) => timed("hash", () => hasher.hash(password, job)),
        verify: (phcHash, password, job) => timed("verify", () => hasher.verify(phcHash, password, job)),
        close: () => hasher.close(),
      };
    },
  };
}

function answersWithin(check: () => Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const answered = Promise.resolve()
    .then(check)
    .then(
      () => true,
      () => false,
    );
  return Promise.race([answered, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Process metrics (CPU, memory, event-loop lag, GC, handles), once per process: they describe the
 * process, not an app, so the entrypoint asks for them and tests do not. prom-client reads them
 * with node:perf_hooks and /proc, which Bun implements (checked on Bun 1.4.5); should a runtime
 * lack one, the service still starts, without them, and says so.
 */
export function collectProcessMetrics(registry: Registry, logger: Logger): void {
  try {
    collectDefaultMetrics({ register: registry });
  } catch (error) {
    logger.warn({ err: { name: (error as Error)?.name, message: (error as Error)?.message } }, "process metrics unavailable on this runtime");
  }
}

export interface MetricsEndpointOptions {
  registry: Registry;
  /** When set, a scrape needs `Authorization: Bearer <token>`. */
  token?: string;
}

/**
 * GET /metrics: the registry in Prometheus text format, behind the bearer token when one is
 * configured. The token is compared through SHA-256 digests of both sides, so the time taken
 * depends on neither the token's content nor its length.
 */
export function createMetricsHandler(options: MetricsEndpointOptions): (c: Context) => Promise<Response> {
  const { registry } = options;
  const expected = options.token === undefined ? undefined : digest(options.token);
  return async function metrics(c) {
    if (expected) {
      const presented = /^Bearer +(\S+) *$/i.exec(c.req.header("authorization") ?? "")?.[1];
      if (!presented || !constantTimeEqual(await digest(presented), await expected)) {
        throw new ProblemError("INVALID_TOKEN", {
          detail: "Scraping /metrics needs the configured bearer token.",
          headers: { "www-authenticate": bearerChallenge(presented ? "invalid_token" : undefined, { realm: "metrics" }) },
        });
      }
    }
    const text = await registry.metrics();
    // Also on METRICS_PORT's own listener, which has no noStoreByDefault middleware.
    return c.body(text, 200, { "content-type": registry.contentType, "cache-control": "no-store", pragma: "no-cache" });
  };
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

export interface MetricsAppOptions extends MetricsEndpointOptions {
  /** The public URL of the main port (config.jwt.issuer): the problems' `type` URIs point to its pages. */
  issuer: string;
}

/**
 * The listener of METRICS_PORT: /metrics alone, so that it can stay inside the cluster while the
 * main port is public. Same guard, same problem answers.
 */
export function createMetricsApp(options: MetricsAppOptions): Hono {
  const { issuer } = options;
  const app = new Hono();
  app.get("/metrics", createMetricsHandler(options));
  app.notFound((c) => renderProblem(c, new ProblemError("NOT_FOUND", { detail: "Only /metrics is served here." }), { issuer, requestId: crypto.randomUUID() }));
  app.onError((error, c) =>
    renderProblem(c, error instanceof ProblemError ? error : new ProblemError("INTERNAL_ERROR"), { issuer, requestId: crypto.randomUUID() }),
  );
  return app;
}
