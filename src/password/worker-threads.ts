import { Worker } from "node:worker_threads";
import { createWorkerPoolHasher, type PasswordWorker, type PasswordWorkerResponse } from "./pool.js";
import { OWASP_ARGON2ID_PARAMS, type Argon2Params, type PasswordHasher } from "./hasher.js";

/**
 * The runtime side of the password pool: node:worker_threads, which Node and Bun both implement.
 *
 * Compiled (dist/password/worker-threads.js) the worker is dist/password/worker.js. Run from source
 * (tsx, vitest, Bun) this module is a .ts file and so is the worker. Bun runs it natively. Node needs
 * tsx's loader inside the worker, and cannot get it from `execArgv: ["--import", "tsx"]`: Node 20
 * ignores ESM loader hooks given in a Worker's execArgv (nodejs/node#47747, tsx#354; the worker dies
 * with ERR_UNKNOWN_FILE_EXTENSION, verified on 20.20). So on Node from source the worker starts as a
 * two-line bootstrap that registers tsx in the worker itself, then imports the .ts entrypoint.
 */
const runningFromSource = import.meta.url.endsWith(".ts");
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const WORKER_URL = new URL(runningFromSource ? "./worker.ts" : "./worker.js", import.meta.url);

interface WorkerEntry {
  filename: URL | string;
  options: { eval?: true };
}

function workerEntry(): WorkerEntry {
  if (!runningFromSource || isBun) return { filename: WORKER_URL, options: {} };
  // tsx is a devDependency: this path is only taken when running the sources, never from dist/.
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return { filename: bootstrap, options: { eval: true } };
}

export function spawnPasswordWorker(params: Argon2Params): PasswordWorker {
  const entry = workerEntry();
  const worker = new Worker(entry.filename, { ...entry.options, workerData: { params } });
  const errorListeners: ((error: unknown) => void)[] = [];
  let dead = false;
  let terminating = false;

  function fail(error: unknown): void {
    if (dead || terminating) return;
    dead = true;
    for (const listener of errorListeners) listener(error);
  }

  worker.on("error", fail);
  worker.on("messageerror", fail);
  // A worker that exits without having been asked to (process.exit, out of memory) is as dead as
  // one that threw; the pool must hear of it or its job would wait forever.
  worker.on("exit", (code) => fail(new Error(`password worker exited with code ${code}`)));

  return {
    postMessage(message) {
      worker.postMessage(message);
    },
    onMessage(listener) {
      worker.on("message", (message: PasswordWorkerResponse) => listener(message));
    },
    onError(listener) {
      errorListeners.push(listener);
    },
    async terminate() {
      terminating = true;
      await worker.terminate();
    },
  };
}

export interface PasswordHasherPoolOptions {
  /**
   * Worker threads, i.e. hashes at once: one per core (each thread reuses one hash-wasm instance,
   * which is what lets them scale; src/password/argon2-wasm.ts).
   */
  workers: number;
  /** Jobs allowed to wait for a worker; beyond that a job fails at once with PasswordHasherBusyError. */
  maxQueue: number;
  /** Jobs one client may have running or queued at once (src/password/pool.ts); unlimited when absent. */
  maxPerClient?: number;
  params?: Argon2Params;
}

/** The hash-wasm worker-thread pool with Argon2id at `params` (OWASP by default); src/password/index.ts chooses between it and the native hasher. */
export function createPasswordHasherPool(options: PasswordHasherPoolOptions): PasswordHasher {
  const params = options.params ?? OWASP_ARGON2ID_PARAMS;
  return createWorkerPoolHasher({
    size: options.workers,
    maxQueue: options.maxQueue,
    ...(options.maxPerClient !== undefined && { maxPerClient: options.maxPerClient }),
    params,
    spawnWorker: () => spawnPasswordWorker(params),
  });
}
