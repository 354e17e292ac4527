import { serve, type ServerType } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Server } from "node:http";
import { createApp } from "./app.js";
import { createRuntime, installGracefulShutdown, loadConfigOrExit } from "./bootstrap.js";
import { createMetricsApp } from "./observability/metrics.js";

/** Node entrypoint: config, dependencies, HTTP server, graceful shutdown. The only Node-aware file. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const runtime = await createRuntime(config, { remoteAddress: (c) => getConnInfo(c).remote.address });
  const { logger } = runtime;
  const app = createApp(runtime.deps);

  const server: ServerType = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) =>
    logger.info({ port: info.port, host: config.host, runtime: `node ${process.version}` }, "listening"),
  );
  const httpServer = server as Server;

  // METRICS_PORT: /metrics on a listener of its own (and not on the main app), e.g. cluster-internal.
  const registry = runtime.deps.metricsRegistry;
  const metricsServer =
    config.metrics.port === undefined || !registry
      ? undefined
      : (serve({ fetch: createMetricsApp({ registry, token: config.metrics.token, issuer: config.jwt.issuer }).fetch, port: config.metrics.port, hostname: config.host }, (info) =>
          logger.info({ port: info.port, host: config.host }, "metrics listening"),
        ) as Server);

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
