import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

/** A server the benchmark started as a child process; only ever stopped through its own handle. */
export interface ChildServer {
  name: string;
  baseUrl: string;
  pid: number;
  /** The command line, for the report. */
  command: string;
  logPath: string;
  /** The last lines the process wrote (stdout and stderr go to `logPath`). */
  tail(lines?: number): string;
  /** Throws, with the end of its output, if the process has exited. */
  assertAlive(): void;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartChildServerOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  port: number;
  /** Polled until it answers 200. */
  readyPath: string;
  logPath: string;
  timeoutMs?: number;
}

/** A port the kernel just handed out and released: free unless something grabs it in between. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port"))));
    });
  });
}

function readTail(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startChildServer(options: StartChildServerOptions): Promise<ChildServer> {
  const { name, command, args, cwd, env, port, readyPath, logPath } = options;
  // Output straight to a file: the benchmark process never spends CPU relaying the child's logs.
  const fd = openSync(logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd, env, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let exitCode: number | string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitCode = code ?? signal ?? "unknown";
      resolve();
    }),
  );
  child.once("error", (error) => {
    exitCode = `spawn error: ${error.message}`;
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const server: ChildServer = {
    name,
    baseUrl,
    pid,
    command: [command, ...args].join(" "),
    logPath,
    tail: (lines = 30) => readTail(logPath, lines),
    assertAlive() {
      if (exitCode !== null) throw new Error(`${name} (pid ${pid}) exited (${exitCode}) during the run:\n${readTail(logPath, 40)}`);
    },
    async stop(graceMs = 10_000) {
      if (exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (exitCode === null) child.kill("SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (exitCode !== null) throw new Error(`${name} exited (${exitCode}) before it was ready:\n${server.tail()}`);
    try {
      const response = await fetch(`${baseUrl}${readyPath}`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await server.stop(2_000);
      throw new Error(`${name} did not answer ${readyPath} with 200 in time:\n${server.tail()}`);
    }
    await sleep(100);
  }
}
