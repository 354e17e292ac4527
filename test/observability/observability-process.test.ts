import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_START_TIMEOUT_MS, startServer, type Runtime, type ServerProcess } from "../helpers/server-process.js";
import { sample } from "./support.js";

/**
 * The built service as a process on each runtime, with METRICS_PORT, METRICS_TOKEN and an OTLP
 * endpoint: process metrics and app metrics on the separate listener, behind the token, and the
 * spans of its requests exported when it shuts down. The collector is a local HTTP listener that
 * keeps what it is sent.
 */
const TOKEN = "process-metrics-token-0123456789";

interface Collector {
  url: string;
  received: Array<{ path: string; contentType: string | undefined; body: string }>;
  close(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const received: Collector["received"] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", contentType: request.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function metricsPort(server: ServerProcess): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const line = server.output().split("\n").find((candidate) => candidate.includes('"metrics listening"'));
    if (line) return (JSON.parse(line) as { port: number }).port;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no "metrics listening" line:\n${server.output()}`);
}

describe.each<Runtime>(["node", "bun"])("metrics and traces of the service as a process on %s", (runtime) => {
  let server: ServerProcess;
  let collector: Collector;

  beforeAll(async () => {
    collector = await startCollector();
    server = await startServer(runtime, {
      NODE_ENV: "development",
      METRICS_PORT: "0",
      METRICS_TOKEN: TOKEN,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_SERVICE_NAME: `auth-service-${runtime}`,
    });
  });

  afterAll(async () => {
    await server?.stop("SIGKILL");
    await collector?.close();
  });

  it("serves /metrics on METRICS_PORT only, behind the token, and exports spans over OTLP at shutdown", async () => {
    const metricsBase = `http://127.0.0.1:${await metricsPort(server)}`;
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);

    expect((await fetch(`${metricsBase}/metrics`)).status).toBe(401);
    const scrape = await fetch(`${metricsBase}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    // Process metrics from prom-client's collectDefaultMetrics, on this runtime too.
    expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sample(text, 'http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(1);
    expect(sample(text, 'http_requests_total{method="GET",route="/metrics",status="404"}')).toBeUndefined();
    expect(sample(text, 'auth_dependency_up{dependency="database"}')).toBe(1);
    expect(sample(text, "auth_password_hasher_queue_depth")).toBe(0);

    // Logs stay JSON lines when stdout is a pipe, even in development.
    const lines = server.output().trim().split("\n");
    expect(lines.every((line) => line.startsWith("{"))).toBe(true);

    // Spans are batched; a graceful shutdown exports what is buffered.
    expect(await server.stop("SIGTERM")).toBe(0);
    const traces = collector.received.filter((request) => request.path === "/v1/traces");
    expect(traces.length).toBeGreaterThan(0);
    const exported = traces.map((request) => request.body).join("\n");
    expect(exported).toContain(`auth-service-${runtime}`);
    expect(exported).toContain("GET /healthz");
  });
});

/** The line the production start-up writes when /metrics has neither protection (src/bootstrap.ts). */
const METRICS_NOT_SERVED =
  "/metrics is not served: in production set METRICS_PORT (a listener of its own) or METRICS_TOKEN (a bearer token on the public port)";

const PRODUCTION = {
  NODE_ENV: "production",
  JWT_ISSUER: "https://auth.example.com",
  JWT_SECRET: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
};

/** The JSON log lines of a process so far. */
function logLines(server: ServerProcess): Array<{ level: number; msg: string }> {
  return server
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
}

describe.each<Runtime>(["node", "bun"])("/metrics at a production start-up on %s", (runtime) => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("without METRICS_TOKEN or METRICS_PORT: starts, logs a warning saying so, and does not serve /metrics", async () => {
    server = await startServer(runtime, PRODUCTION);
    const warnings = logLines(server).filter((line) => line.msg === METRICS_NOT_SERVED);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  }, SERVER_START_TIMEOUT_MS + 30_000);
});

describe("/metrics at a production start-up with METRICS_TOKEN", () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("logs no such warning and serves /metrics behind the token", async () => {
    const token = "production-metrics-token-0123456789";
    server = await startServer("node", { ...PRODUCTION, METRICS_TOKEN: token });
    expect(logLines(server).map((line) => line.msg)).not.toContain(METRICS_NOT_SERVED);
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  }, SERVER_START_TIMEOUT_MS + 30_000);
});
