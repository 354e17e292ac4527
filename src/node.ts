import { serve, type ServerType } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Server, ServerOptions } from "node:http";
import { createApp } from "./app.js";
import { createRuntime, installGracefulShutdown, loadConfigOrExit } from "./bootstrap.js";
import type { Config } from "./config.js";
import { createMetricsApp } from "./observability/metrics.js";

/**
 * node:http's own defences against slow clients (slowloris): the headers must arrive within
 * `headersTimeout` and the whole request within `requestTimeout` (then Node answers 408 and closes),
 * and an idle keep-alive connection is closed after `keepAliveTimeout`. Node checks the first two
 * every `connectionsCheckingInterval` (30 s by default, which would let a 10 s deadline run to 40 s),
 * so it checks every second: a walk over the open connections, cheap next to the requests.
 */
function slowClientOptions(http: Config["http"]): ServerOptions {
  return {
    headersTimeout: http.headersTimeoutSeconds * 1000,
    requestTimeout: http.requestTimeoutSeconds * 1000,
    keepAliveTimeout: http.keepAliveTimeoutSeconds * 1000,
    connectionsCheckingInterval: 1000,
  };
}

/** Beyond `maxConnections` open connections Node closes each new one at once, before reading a byte. */
function capConnections(server: Server, http: Config["http"]): Server {
  server.maxConnections = http.maxConnections;
  return server;
}

/** Node entrypoint: config, dependencies, HTTP server, graceful shutdown. The only Node-aware file. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const runtime = await createRuntime(config, { remoteAddress: (c) => getConnInfo(c).remote.address });
  const { logger } = runtime;
  const app = createApp(runtime.deps);

  const serverOptions = slowClientOptions(config.http);
  const server: ServerType = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions }, (info) =>
    logger.info({ port: info.port, host: config.host, runtime: `node ${process.version}` }, "listening"),
  );
  const httpServer = capConnections(server as Server, config.http);
  logger.info(
    {
      headersTimeoutSeconds: config.http.headersTimeoutSeconds,
      requestTimeoutSeconds: config.http.requestTimeoutSeconds,
      keepAliveTimeoutSeconds: config.http.keepAliveTimeoutSeconds,
      maxConnections: config.http.maxConnections,
    },
    "http limits",
  );

  // METRICS_PORT: /metrics on a listener of its own (and not on the main app), e.g. cluster-internal.
  const registry = runtime.deps.metricsRegistry;
  const metricsServer =
    config.metrics.port === undefined || !registry
      ? undefined
      : capConnections(
          serve({ fetch: createMetricsApp({ registry, token: config.metrics.token, issuer: config.jwt.issuer }).fetch, port: config.metrics.port, hostname: config.host, serverOptions }, (info) =>
            logger.info({ port: info.port, host: config.host }, "metrics listening"),
          ) as Server,
          config.http,
        );

  installGracefulShutdown({
    logger,
    timeoutSeconds: config.http.shutdownTimeoutSeconds,
    drain: () =>
      new Promise<void>((resolve) => {
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        httpServer.close(() => resolve());
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        httpServer.closeIdleConnections();
      }),
    forceClose: () => httpServer.closeAllConnections(),
    release: () => runtime.close(),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`auth-service: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
