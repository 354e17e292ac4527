import {
  OWASP_ARGON2ID_PARAMS,
  PasswordHasherBusyError,
  type Argon2Params,
  type PasswordHasher,
  type PasswordJob,
  type PasswordVerification,
} from "./hasher.js";

/**
 * Argon2id off the main thread. One hash-wasm hash at the OWASP cost is ~40-65 ms of solid CPU; on
 * the event loop it stalls every other request (a trivial route's p99 went from ~7 ms to ~100 ms),
 * in a worker the loop stays free (~13-17 ms). This module only schedules: it knows nothing of how a
 * worker is made (src/password/worker-threads.ts does), so it stays Web-standard and testable with
 * fakes. A "worker" is anything that takes one job at a time: a worker thread, or an in-process
 * lane (`createInProcessPasswordWorker`) for a hasher that is already off the event loop (the
 * native one, on libuv's thread pool), which then gets the same bounded queue.
 *
 * The queue is bounded on purpose: at ~25-30 hashes/s per worker, a burst of logins beyond what the
 * workers and a short queue absorb would otherwise wait seconds, holding memory and sockets, for
 * clients that have given up. Past `maxQueue` a job fails at once with PasswordHasherBusyError,
 * which the HTTP layer answers with a fast 503 and `Retry-After`.
 *
 * The queue is also fair (issue 11: ~80 wrong password confirmations from one token once filled it
 * and 7 of 8 other users' logins got 503). Each job names its lane and its clients (PasswordJob):
 * - `sign-in` jobs (login, register) are always dispatched before `confirmation` jobs, and
 *   confirmations have a queue of their own of a quarter of `maxQueue` (at least 1), so a flood of
 *   confirmations can neither fill the sign-in queue nor hold a worker for more than one job;
 * - each client (a user id, an address) may have at most `maxPerClient` jobs running or queued;
 *   beyond that its next job is refused at once (PasswordHasherBusyError), whatever room is left,
 *   so one caller's flood is turned away fast while the others keep their places.
 * Jobs without a PasswordJob (start-up, the CLI) are sign-in jobs of no client.
 */

export type PasswordWorkerRequest =
  | { id: number; op: "hash"; password: string }
  | { id: number; op: "verify"; phcHash: string; password: string };

export type PasswordWorkerResponse =
  | { id: number; op: "hash"; ok: true; phcHash: string }
  | { id: number; op: "verify"; ok: true; verification: PasswordVerification }
  /** `error` is a message safe to log: never the password. */
  | { id: number; op: "hash" | "verify"; ok: false; error: string };

/** What the pool needs of a worker; src/password/worker-threads.ts adapts node:worker_threads. */
export interface PasswordWorker {
  postMessage(message: PasswordWorkerRequest): void;
  onMessage(listener: (message: PasswordWorkerResponse) => void): void;
  /** Called when the worker crashes or exits without being asked to; the worker is then dead. */
  onError(listener: (error: unknown) => void): void;
  terminate(): Promise<void>;
}

export interface WorkerPoolHasherOptions {
  /** Number of workers, i.e. hashes at once; one per core is what the cores can run. */
  size: number;
  /** Jobs waiting for a worker beyond which new jobs are refused with PasswordHasherBusyError. */
  maxQueue: number;
  /** Makes a worker running `createArgon2idHasher(params)` with the same params as the pool. */
  spawnWorker: () => PasswordWorker;
  /** Informational for the pool (workers get theirs from `spawnWorker`); used to seed Retry-After. */
  params?: Argon2Params;
  /** Expected duration of one job at the OWASP cost until real ones are timed (Retry-After); 40 ms by default. */
  initialJobMs?: number;
  /** Jobs one client may have running or queued at once; unlimited by default. */
  maxPerClient?: number;
}

export class PasswordHasherClosedError extends Error {
  override name = "PasswordHasherClosedError";
  constructor() {
    super("password hasher is closed");
  }
}

export class PasswordWorkerCrashedError extends Error {
  override name = "PasswordWorkerCrashedError";
  constructor(cause: unknown) {
    super("password worker crashed", { cause });
  }
}

type JobRequest =
  | { op: "hash"; password: string }
  | { op: "verify"; phcHash: string; password: string };

type Answer = Extract<PasswordWorkerResponse, { ok: true }>;

interface Job {
  request: JobRequest;
  settle(answer: Answer): void;
  reject(error: unknown): void;
}

type Lane = PasswordJob["lane"];

interface Slot {
  worker: PasswordWorker | null;
  job: (Job & { id: number; startedAt: number }) | null;
}

/** Before any job has finished, assume the OWASP cost in a hash-wasm worker (~36-40 ms, bench/ARGON2-SCALING.md). */
const INITIAL_JOB_MS = 40;

export function createWorkerPoolHasher(options: WorkerPoolHasherOptions): PasswordHasher {
  const { size, maxQueue, spawnWorker } = options;
  if (!Number.isInteger(size) || size < 1) throw new RangeError("size must be a whole number >= 1");
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError("maxQueue must be a whole number >= 0");

  const maxPerClient = options.maxPerClient ?? Number.POSITIVE_INFINITY;
  if (!(maxPerClient >= 1)) throw new RangeError("maxPerClient must be >= 1");
  // Dispatch order: every sign-in job before any confirmation.
  const queues: Record<Lane, Job[]> = { "sign-in": [], confirmation: [] };
  const laneLimits: Record<Lane, number> = { "sign-in": maxQueue, confirmation: Math.max(1, Math.floor(maxQueue / 4)) };
  /** Jobs running or queued per client. */
  const perClient = new Map<string, number>();
  const queued = () => queues["sign-in"].length + queues.confirmation.length;
  const nextJob = () => queues["sign-in"].shift() ?? queues.confirmation.shift();
  const slots: Slot[] = Array.from({ length: size }, () => ({ worker: null, job: null }));
  let nextId = 1;
  let closed = false;
  // Argon2's time grows with m × t; scale the OWASP estimate until real jobs have been timed.
  const cost = options.params ?? OWASP_ARGON2ID_PARAMS;
  /** Moving average of job durations, for Retry-After. */
  let averageJobMs =
    ((options.initialJobMs ?? INITIAL_JOB_MS) * cost.memorySize * cost.iterations) /
    (OWASP_ARGON2ID_PARAMS.memorySize * OWASP_ARGON2ID_PARAMS.iterations);

  function spawn(slot: Slot): PasswordWorker {
    const worker = spawnWorker();
    slot.worker = worker;
    worker.onMessage((message) => {
      if (slot.worker !== worker) return;
      const job = slot.job;
      if (!job || job.id !== message.id) return;
      slot.job = null;
      averageJobMs = 0.8 * averageJobMs + 0.2 * (performance.now() - job.startedAt);
      if (message.ok) job.settle(message);
      else job.reject(new Error(`password worker failed: ${message.error}`));
      dispatch();
    });
    worker.onError((error) => {
      if (slot.worker !== worker) return;
      // A dead worker is replaced lazily, when a job needs it: respawning eagerly would spin
      // forever if workers die at start-up (a missing file, say) while nothing is asked of them.
      slot.worker = null;
      void worker.terminate().catch(() => {});
      const job = slot.job;
      slot.job = null;
      job?.reject(new PasswordWorkerCrashedError(error));
      dispatch();
    });
    return worker;
  }

  function dispatch(): void {
    if (closed) return;
    for (const slot of slots) {
      if (queued() === 0) return;
      if (slot.job) continue;
      const job = nextJob() as Job;
      try {
        const worker = slot.worker ?? spawn(slot);
        const id = nextId++;
        slot.job = { ...job, id, startedAt: performance.now() };
        worker.postMessage({ id, ...job.request });
      } catch (error) {
        slot.job = null;
        job.reject(error);
      }
    }
  }

  /** `pick` takes the result out of the worker's answer, or undefined if it answered something else. */
  function busy(): Promise<never> {
    // Time for everything ahead (running and queued) to drain, at least the 1 s Retry-After can say.
    const drainMs = ((queued() + size) * averageJobMs) / size;
    return Promise.reject(new PasswordHasherBusyError(Math.max(1, Math.ceil(drainMs / 1000))));
  }

  function submit<T>(request: JobRequest, job: PasswordJob | undefined, pick: (answer: Answer) => T | undefined): Promise<T> {
    if (closed) return Promise.reject(new PasswordHasherClosedError());
    const lane = job?.lane ?? "sign-in";
    const clients = [...new Set(job?.clients ?? [])];
    if (clients.some((client) => (perClient.get(client) ?? 0) >= maxPerClient)) return busy();
    const idle = slots.some((slot) => !slot.job);
    if (!idle && queues[lane].length >= laneLimits[lane]) return busy();
    for (const client of clients) perClient.set(client, (perClient.get(client) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const client of clients) {
        const left = (perClient.get(client) ?? 1) - 1;
        if (left > 0) perClient.set(client, left);
        else perClient.delete(client);
      }
    };
    return new Promise<T>((resolve, reject) => {
      const settle = (answer: Answer) => {
        release();
        const value = pick(answer);
        if (value === undefined) reject(new Error(`password worker answered ${answer.op} to ${request.op}`));
        else resolve(value);
      };
      queues[lane].push({ request, settle, reject: (error) => (release(), reject(error)) });
      dispatch();
    });
  }

  // Start the workers now, so the first login does not pay for a thread start-up.
  for (const slot of slots) spawn(slot);

  return {
    hash(password, job) {
      return submit({ op: "hash", password }, job, (answer) => (answer.op === "hash" ? answer.phcHash : undefined));
    },

    verify(phcHash, password, job) {
      return submit({ op: "verify", phcHash, password }, job, (answer) =>
        answer.op === "verify" ? answer.verification : undefined,
      );
    },

    queueDepth() {
      return queued();
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const job of [...queues["sign-in"].splice(0), ...queues.confirmation.splice(0)]) job.reject(new PasswordHasherClosedError());
      const terminations: Promise<void>[] = [];
      for (const slot of slots) {
        slot.job?.reject(new PasswordHasherClosedError());
        slot.job = null;
        if (slot.worker) terminations.push(slot.worker.terminate());
        slot.worker = null;
      }
      await Promise.all(terminations);
    },
  };
}

/**
 * Runs one job on `hasher` and turns the outcome into the answer a worker sends back: shared by the
 * worker thread (src/password/worker.ts) and the in-process lane below, so both answer alike.
 */
export async function answerPasswordJob(hasher: PasswordHasher, request: PasswordWorkerRequest): Promise<PasswordWorkerResponse> {
  try {
    if (request.op === "hash") {
      return { id: request.id, op: "hash", ok: true, phcHash: await hasher.hash(request.password) };
    }
    return { id: request.id, op: "verify", ok: true, verification: await hasher.verify(request.phcHash, request.password) };
  } catch (error) {
    // Only the message crosses back: an error object could carry the request (and its password).
    return { id: request.id, op: request.op, ok: false, error: error instanceof Error ? error.message : "unknown error" };
  }
}

/**
 * A worker that runs its jobs on `hasher` in this thread. Only for a hasher whose work already
 * happens off the event loop (the native one: @node-rs/argon2 on libuv's thread pool); the pool
 * then adds what the hasher lacks, a bound on hashes at once and the bounded queue with its fast
 * PasswordHasherBusyError. It cannot crash: a failure is an answer.
 */
export function createInProcessPasswordWorker(hasher: PasswordHasher): PasswordWorker {
  const listeners: ((message: PasswordWorkerResponse) => void)[] = [];
  let terminated = false;
  return {
    postMessage(request) {
      void answerPasswordJob(hasher, request).then((response) => {
        if (!terminated) for (const listener of listeners) listener(response);
      });
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    onError() {},
    async terminate() {
      // A hash already running finishes on its thread; its answer is dropped (the pool has
      // rejected the job already).
      terminated = true;
    },
  };
}
