import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Runtime = "node" | "bun";

export interface ServerProcess {
  baseUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

const ROOT = new URL("../..", import.meta.url).pathname;

/** The command that runs the service the way a container does: the built entrypoint, directly. */
function command(runtime: Runtime): [string, string[]] {
  return runtime === "node" ? [process.execPath, ["dist/node.js"]] : [join(ROOT, "node_modules/.bin/bun"), ["dist/bun.js"]];
}

/**
 * How long a start may take: an embedded PGlite's first start and migrations take seconds alone,
 * and well over 30 s on two cores shared with other busy processes.
 */
export const SERVER_START_TIMEOUT_MS = 90_000;

/**
 * Starts the real service as a child process on an ephemeral port (PORT=0) and waits for its
 * "listening" log line. Needs `dist/` (the vitest global setup builds it). A process that does not
 * get there in SERVER_START_TIMEOUT_MS is killed, so that a failed start leaves nothing running.
 */
export async function startServer(runtime: Runtime, env: Record<string, string>): Promise<ServerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "auth-service-e2e-"));
  const [bin, args] = command(runtime);
  const child: ChildProcess = spawn(bin, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  exited.then(() => rm(dataDir, { recursive: true, force: true })).catch(() => {});

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start within ${SERVER_START_TIMEOUT_MS} ms:\n${output}`));
    }, SERVER_START_TIMEOUT_MS);
    const onData = () => {
      for (const line of output.split("\n")) {
        if (!line.includes('"listening"')) continue;
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve((JSON.parse(line) as { port: number }).port);
        return;
      }
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
