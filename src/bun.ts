import { getConnInfo } from "hono/bun";
import { createApp } from "./app.js";
import { createRuntime, installGracefulShutdown, loadConfigOrExit } from "./bootstrap.js";
import type { Config } from "./config.js";
import { createMetricsApp } from "./observability/metrics.js";

/** The slice of Bun's API this entrypoint uses; declared here so the Node type-check needs no Bun types. */
interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void>;
  /** Sets this request's connection's inactivity timeout, in seconds (Bun's `server.timeout`). */
  timeout(request: Request, seconds: number): void;
}
declare const Bun: {
  version: string;
  serve(options: {
    port: number;
    hostname: string;
    /** Seconds, at most 255. */
    idleTimeout: number;
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
  }): BunServer;
};

/**
 * Bun.serve's defences against slow clients, as Bun 1.4.5 behaves (measured with raw sockets, the
 * measurements in README, "Security limits"), and what it lacks:
 * - `idleTimeout` closes a connection that has been idle that long after an answer: the keep-alive
 *   timeout. It is not reset by bytes of a request body arriving, so it is a deadline, and it runs
 *   while the handler works too.
 * - `server.timeout(request, s)` sets that timer for one request. Set to HTTP_REQUEST_TIMEOUT when
 *   the handler starts, it bounds the body's arrival and the handler (counted from the end of the
 *   headers, not the connection's start); set back to HTTP_KEEP_ALIVE_TIMEOUT when the answer is
 *   ready, it becomes the idle timeout until the next request.
 * - The headers: Bun closes a connection whose request headers are incomplete after its own fixed
 *   ~10 s (seen at 10-12 s whether dripped or silent, with idleTimeout 2 s or 30 s); Bun.serve has
 *   no option to change it, so HTTP_HEADERS_TIMEOUT has no effect here.
 * - No connection cap: Bun.serve has no maxConnections and no hook on a new connection, so
 *   HTTP_MAX_CONNECTIONS has no effect here; cap connections at the proxy or load balancer.
 * Bun closes a timed-out connection without an answer (Node sends a 408 first).
 */
function withRequestDeadline(app: { fetch: (request: Request, server: BunServer) => Response | Promise<Response> }, http: Config["http"]) {
  return async function fetchWithDeadline(request: Request, server: BunServer): Promise<Response> {
    server.timeout(request, http.requestTimeoutSeconds);
    const response = await app.fetch(request, server);
    server.timeout(request, http.keepAliveTimeoutSeconds);
    return response;
  };
}

/** Bun entrypoint: config, dependencies, HTTP server, graceful shutdown. The only Bun-aware file. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const runtime = await createRuntime(config, { remoteAddress: (c) => getConnInfo(c).remote.address });
  const { logger } = runtime;
  const app = createApp(runtime.deps);

  const server = Bun.serve({
    port: config.port,
    hostname: config.host,
    idleTimeout: config.http.keepAliveTimeoutSeconds,
    // Hono's Bun adapter reads the peer address from the server passed as the env.
    fetch: withRequestDeadline(app, config.http),
  });
  logger.info(
    { requestTimeoutSeconds: config.http.requestTimeoutSeconds, keepAliveTimeoutSeconds: config.http.keepAliveTimeoutSeconds },
    "http limits",
  );
  logger.warn(
    { headersTimeoutSeconds: config.http.headersTimeoutSeconds, maxConnections: config.http.maxConnections },
    "bun: HTTP_HEADERS_TIMEOUT and HTTP_MAX_CONNECTIONS are not applied (Bun.serve cuts incomplete headers after its own fixed ~10 s and has no connection cap); cap connections at the proxy",
  );
  logger.info({ port: server.port, host: config.host, runtime: `bun ${Bun.version}` }, "listening");

  // METRICS_PORT: /metrics on a listener of its own (and not on the main app), e.g. cluster-internal.
  const registry = runtime.deps.metricsRegistry;
  let metricsServer: BunServer | undefined;
  if (config.metrics.port !== undefined && registry) {
    const metricsApp = createMetricsApp({ registry, token: config.metrics.token, issuer: config.jwt.issuer });
    metricsServer = Bun.serve({
      port: config.metrics.port,
      hostname: config.host,
      idleTimeout: config.http.keepAliveTimeoutSeconds,
      fetch: withRequestDeadline({ fetch: (request) => metricsApp.fetch(request) }, config.http),
    });
    logger.info({ port: metricsServer.port, host: config.host }, "metrics listening");
  }

  installGracefulShutdown({
    logger,
    timeoutSeconds: config.http.shutdownTimeoutSeconds,
    // stop(false): stop accepting and resolve once in-flight requests have finished.
    drain: () => Promise.all([server.stop(false), metricsServer?.stop(true)]).then(() => {}),
    forceClose: () => void server.stop(true),
    release: () => runtime.close(),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`auth-service: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
