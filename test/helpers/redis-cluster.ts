import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freePort } from "./redis-server.js";

const run = promisify(execFile);

/** A Redis Cluster of `redis-server` processes on 127.0.0.1, private to the test that started it. */
export interface LocalRedisCluster {
  nodes: Array<{ host: string; port: number }>;
  /** The nodes as REDIS_CLUSTER_NODES takes them: "127.0.0.1:P1,127.0.0.1:P2,…". */
  nodesEnv: string;
  /** Kills every node and removes the temporary directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface LocalRedisClusterOptions {
  /** Masters, no replicas; Redis Cluster needs at least 3. */
  size?: number;
  /** How long to wait for the whole start, in milliseconds. */
  timeoutMs?: number;
}

/** `size` distinct free ports: node ports and, separately, their cluster bus ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Spawns one node (pushed onto `children` at once, so it is stopped whatever happens) and waits until it serves. */
function startNode(port: number, busPort: number, dir: string, timeoutMs: number, children: ChildProcess[]): Promise<void> {
  // The bus port is given explicitly (Redis 7 `cluster-port`): the default, port + 10000, lies
  // beyond 65535 for most ephemeral ports.
  const child = spawn(
    "redis-server",
    [
      "--port", String(port),
      "--cluster-port", String(busPort),
      "--cluster-enabled", "yes",
      "--cluster-config-file", join(dir, `nodes-${port}.conf`),
      "--cluster-node-timeout", "5000",
      "--dir", dir,
      "--save", "",
      "--appendonly", "no",
      "--bind", "127.0.0.1",
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  return new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} did not start:\n${output}`)), timeoutMs);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not be run (is it installed?): ${error.message}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}:\n${output}`));
    });
  });
}

async function waitForClusterOk(ports: number[], deadline: number): Promise<void> {
  const clients = ports.map((port) => new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 1 }));
  try {
    for (;;) {
      const infos = await Promise.all(clients.map((client) => client.cluster("INFO").catch(() => "") as Promise<string>));
      if (infos.every((info) => info.includes("cluster_state:ok"))) return;
      if (Date.now() > deadline) throw new Error(`the cluster did not reach cluster_state:ok:\n${infos.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    for (const client of clients) client.disconnect();
  }
}

/**
 * Starts `size` cluster-enabled redis-servers in a temporary directory, joins them with
 * `redis-cli --cluster create` (masters only) and waits until every node reports cluster_state:ok.
 * If anything fails on the way, what was started is stopped again before the error is thrown.
 */
export async function startRedisCluster(options: LocalRedisClusterOptions = {}): Promise<LocalRedisCluster> {
  const size = options.size ?? 3;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const dir = await mkdtemp(join(tmpdir(), "auth-service-redis-cluster-"));
  const children: ChildProcess[] = [];
  // A worker that dies without running afterAll must not leave servers behind.
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", killAll);

  let stopped = false;
  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    process.off("exit", killAll);
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        return exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  }

  try {
    const ports = await freePorts(size * 2);
    const nodePorts = ports.slice(0, size);
    const busPorts = ports.slice(size);
    // Settled, not all: on a failure every node has started or failed before stop() runs.
    const started = await Promise.allSettled(
      nodePorts.map((port, i) => startNode(port, busPorts[i]!, dir, Math.max(deadline - Date.now(), 1), children)),
    );
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    await run(
      "redis-cli",
      ["--cluster", "create", ...nodePorts.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"],
      { timeout: Math.max(deadline - Date.now(), 1) },
    );
    await waitForClusterOk(nodePorts, deadline);
    const nodes = nodePorts.map((port) => ({ host: "127.0.0.1", port }));
    return { nodes, nodesEnv: nodes.map(({ host, port }) => `${host}:${port}`).join(","), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
