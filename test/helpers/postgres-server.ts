import { execFile, execFileSync } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./redis-server.js";

const run = promisify(execFile);

/**
 * A private PostgreSQL server of its own (initdb into a temporary directory, pg_ctl start/stop) on
 * its own port, which a test may really stop and start again: not the shared server, whose other
 * users must not notice. initdb refuses to run as root, so as root it runs as the `postgres` OS
 * user (runuser), which owns the directory.
 */
export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication, local only). */
  url: string;
  start(): Promise<void>;
  /** `fast` disconnects clients and shuts down cleanly; `immediate` is a crash. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory, or undefined. */
function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  return versions.map((version) => join(root, version, "bin")).find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    return { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) };
  } catch {
    return undefined;
  }
}

/** Whether this machine can run one: PostgreSQL's binaries, and (as root) a `postgres` user and runuser. */
export function canRunPrivatePostgres(): boolean {
  if (!postgresBinDir()) return false;
  if (!isRoot()) return true;
  return Boolean(postgresUserIds()) && existsSync("/usr/sbin/runuser");
}

export async function createPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("no PostgreSQL binaries under /usr/lib/postgresql/*/bin");
  const dir = await mkdtemp(join(tmpdir(), "auth-private-pg-"));
  const asPostgres = (command: string, args: string[]) => (isRoot() ? run("/usr/sbin/runuser", ["-u", "postgres", "--", command, ...args]) : run(command, args));
  if (isRoot()) {
    const ids = postgresUserIds();
    if (!ids) throw new Error("no postgres OS user to run PostgreSQL as");
    await chown(dir, ids.uid, ids.gid);
  }
  const data = join(dir, "data");
  await asPostgres(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const port = await freePort();
  const pgCtl = join(bin, "pg_ctl");
  // fsync off: a test server loses nothing worth keeping; listens on 127.0.0.1 and a private socket dir.
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off`;

  async function start(): Promise<void> {
    await asPostgres(pgCtl, ["-D", data, "-o", serverOptions, "-l", join(dir, "server.log"), "-w", "-t", "30", "start"]);
  }
  async function stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await asPostgres(pgCtl, ["-D", data, "-m", mode, "-w", "-t", "30", "stop"]);
  }

  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      await stop("immediate").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
