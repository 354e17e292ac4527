import { getConnInfo } from "hono/bun";
import { createApp } from "./app.js";
import { createRuntime, installGracefulShutdown, loadConfigOrExit } from "./bootstrap.js";
import { createMetricsApp } from "./observability/metrics.js";

/** The slice of Bun's API this entrypoint uses; declared here so the Node type-check needs no Bun types. */
interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
declare const Bun: {
  version: string;
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
  }): BunServer;
};

/** Bun entrypoint: config, dependencies, HTTP server, graceful shutdown. The only Bun-aware file. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const runtime = await createRuntime(config, { remoteAddress: (c) => getConnInfo(c).remote.address });
  const { logger } = runtime;
  const app = createApp(runtime.deps);

  const server = Bun.serve({
    port: config.port,
    hostname: config.host,
    // Hono's Bun adapter reads the peer address from the server passed as the env.
    fetch: (request, bunServer) => app.fetch(request, bunServer),
  });
  logger.info({ port: server.port, host: config.host, runtime: `bun ${Bun.version}` }, "listening");

  // METRICS_PORT: /metrics on a listener of its own (and not on the main app), e.g. cluster-internal.
  const registry = runtime.deps.metricsRegistry;
  let metricsServer: BunServer | undefined;
  if (config.metrics.port !== undefined && registry) {
    const metricsApp = createMetricsApp({ registry, token: config.metrics.token, issuer: config.jwt.issuer });
    metricsServer = Bun.serve({ port: config.metrics.port, hostname: config.host, fetch: (request) => metricsApp.fetch(request) });
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
