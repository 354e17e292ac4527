import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { Registry } from "prom-client";
import type { AppDeps, AppEnv } from "../deps.js";
import { NO_CLIENT_ERROR_EXPECTED, problemResponses } from "../http/openapi.js";
import { createAppMetrics, createMetricsHandler, PROMETHEUS_CONTENT_TYPE, type AppMetrics } from "./metrics.js";
import { createTracing, traceMethods, type Tracing } from "./tracing.js";

export interface Observability {
  /** The app's dependencies with the hasher timed and, when tracing, every store and the hasher in spans. */
  deps: AppDeps;
  metrics: AppMetrics;
  /** For `app.use`, outermost first: the request's server span (when tracing), then its metrics. */
  middleware: MiddlewareHandler<AppEnv>[];
  /** GET /metrics on the app, documented in /doc, unless METRICS_PORT moves it to its own listener. */
  mountMetricsEndpoint(app: OpenAPIHono<AppEnv>): void;
}

/**
 * Metrics and tracing for one app, built by `createApp` from its dependencies, so that the Node and
 * Bun entrypoints and the tests get the same wiring from the same two inputs: `metricsRegistry`
 * (absent: a registry of the app's own) and `tracing` (absent: no span, no wrapper, no cost).
 */
export function createObservability(deps: AppDeps): Observability {
  const registry = deps.metricsRegistry ?? new Registry();
  const { hasher } = deps;
  const metrics = createAppMetrics({
    registry,
    readinessChecks: deps.readinessChecks,
    ...(hasher.queueDepth && { hasherQueueDepth: () => hasher.queueDepth?.() ?? 0 }),
  });

  const middleware: MiddlewareHandler<AppEnv>[] = [];
  let instrumented: AppDeps = deps;
  if (deps.tracing) {
    const tracing = createTracing(deps.tracing);
    middleware.push(tracing.middleware);
    instrumented = traceDependencies(deps, tracing);
  }
  middleware.push(metrics.middleware);
  instrumented = { ...instrumented, hasher: metrics.instrumentHasher(instrumented.hasher) };

  return {
    deps: instrumented,
    metrics,
    middleware,
    mountMetricsEndpoint(app) {
      const { port, token } = deps.config.metrics;
      if (port !== undefined) return;
      // Production serves /metrics on the public port only behind METRICS_TOKEN: open, it tells an
      // outsider about traffic, failures and dependencies. With neither a token nor METRICS_PORT it
      // is not served at all (bootstrap.ts logs so at start-up).
      if (deps.config.env === "production" && token === undefined) return;
      // The mail queue's counters live in the composition, not in this app; served here either way.
      const served = deps.mailMetricsRegistry === registry ? registry : Registry.merge([registry, deps.mailMetricsRegistry]);
      app.get("/metrics", createMetricsHandler({ registry: served, ...(token !== undefined && { token }) }));
      if (token !== undefined) {
        app.openAPIRegistry.registerComponent("securitySchemes", "metricsBearer", {
          type: "http",
          scheme: "bearer",
          description: "The METRICS_TOKEN the service was started with",
        });
      }
      app.openAPIRegistry.registerPath({
        method: "get",
        path: "/metrics",
        operationId: "metrics",
        tags: ["Service"],
        summary: "Prometheus metrics in the text exposition format",
        description:
          "Request counts and latency by route and status, login, refresh, reuse and rate-limit counters, Argon2id durations, dependency health. Served here unless METRICS_PORT moves it to a listener of its own; needs the bearer token when METRICS_TOKEN is set.",
        security: token !== undefined ? [{ metricsBearer: [] }] : [],
        responses: {
          200: {
            description: "The metrics",
            content: {
              [PROMETHEUS_CONTENT_TYPE]: {
                schema: z.string(),
                example: '# HELP http_requests_total HTTP requests answered, by method, route pattern and status.\n# TYPE http_requests_total counter\nhttp_requests_total{method="GET",route="/me",status="200"} 42\n',
              },
            },
          },
          ...(token !== undefined ? problemResponses("INVALID_TOKEN") : NO_CLIENT_ERROR_EXPECTED),
        },
      });
    },
  };
}

/** Client spans around every store call (database and Redis) and every hash; pings and closes left out. */
function traceDependencies(deps: AppDeps, tracing: Tracing): AppDeps {
  const skip = ["ping", "close", "init"];
  const rateLimitStore = deps.rateLimitStore;
  return {
    ...deps,
    users: traceMethods(deps.users, "UserStore", tracing, { skip }),
    sessions: traceMethods(deps.sessions, "SessionStore", tracing, { skip }),
    events: traceMethods(deps.events, "SecurityEventStore", tracing, { skip }),
    hasher: traceMethods(deps.hasher, "PasswordHasher", tracing, { skip }),
    ...(deps.loginThrottleStore && {
      loginThrottleStore: traceMethods(deps.loginThrottleStore, "LoginThrottleStore", tracing, { skip }),
    }),
    ...(rateLimitStore && {
      rateLimitStore: (limit: string) =>
        traceMethods(rateLimitStore(limit), "RateLimitStore", tracing, { skip, attributes: { "app.rate_limit": limit } }),
    }),
  };
}
