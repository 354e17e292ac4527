import { describe, expect, it } from "vitest";
import {
  createWorkerPoolHasher,
  PasswordHasherClosedError,
  PasswordWorkerCrashedError,
  type PasswordWorker,
  type PasswordWorkerRequest,
  type PasswordWorkerResponse,
} from "../../src/password/pool.js";
import {
  createArgon2idHasher,
  OWASP_ARGON2ID_PARAMS,
  PasswordHasherBusyError,
  type Argon2Params,
} from "../../src/password/hasher.js";
import { createPasswordHasherPool, spawnPasswordWorker } from "../../src/password/worker-threads.js";
import { FAST_ARGON2_PARAMS, trackHashers } from "../helpers/hashers.js";
import { expectBurstRefusedAtOnce, expectHashesOffTheEventLoop, expectRunsAtOnce } from "./scheduling-checks.js";

const track = trackHashers();

describe("createPasswordHasherPool (real worker threads)", () => {
  it("makes OWASP-cost hashes that the in-thread hasher verifies, and verifies the in-thread ones", async () => {
    const pool = track(createPasswordHasherPool({ workers: 2, maxQueue: 8 }));
    const local = createArgon2idHasher();

    const fromPool = await pool.hash("correct horse battery staple");
    expect(fromPool).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await local.verify(fromPool, "correct horse battery staple")).toEqual({ valid: true, needsRehash: false });

    const fromThread = await local.hash("another password");
    expect(await pool.verify(fromThread, "another password")).toEqual({ valid: true, needsRehash: false });
    expect(await pool.verify(fromThread, "not the password")).toEqual({ valid: false, needsRehash: false });

    // needsRehash is computed in the worker exactly as in the thread.
    const weak = await createArgon2idHasher({ ...OWASP_ARGON2ID_PARAMS, memorySize: 4096, iterations: 1 }).hash("old one");
    expect(await pool.verify(weak, "old one")).toEqual({ valid: true, needsRehash: true });
    expect(await pool.verify("$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "x")).toEqual({
      valid: false,
      needsRehash: false,
    });
  });

  it("answers many concurrent jobs, each with its own result", async () => {
    const pool = track(createPasswordHasherPool({ workers: 2, maxQueue: 64, params: FAST_ARGON2_PARAMS }));
    const passwords = Array.from({ length: 40 }, (_, i) => `password-${i}`);

    const hashes = await Promise.all(passwords.map((password) => pool.hash(password)));
    expect(new Set(hashes).size).toBe(passwords.length);
    for (const hash of hashes) expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);

    const right = await Promise.all(hashes.map((hash, i) => pool.verify(hash, passwords[i] as string)));
    const shifted = await Promise.all(hashes.map((hash, i) => pool.verify(hash, passwords[(i + 1) % passwords.length] as string)));
    expect(right.every((result) => result.valid && !result.needsRehash)).toBe(true);
    expect(shifted.some((result) => result.valid)).toBe(false);
  });

  it("refuses at once, with PasswordHasherBusyError, what does not fit in the workers and the queue", async () => {
    const pool = track(createPasswordHasherPool({ workers: 1, maxQueue: 2, params: FAST_ARGON2_PARAMS }));
    await expectBurstRefusedAtOnce(pool);

    // The burst leaves nothing stuck: the pool takes work again.
    expect((await pool.verify(await pool.hash("after the burst"), "after the burst")).valid).toBe(true);
  });

  it("hashes at the OWASP cost off the event loop", async () => {
    const pool = track(createPasswordHasherPool({ workers: 2, maxQueue: 8 }));
    await Promise.all([pool.hash("warm up"), pool.hash("warm up")]);
    await expectHashesOffTheEventLoop(pool, 6);
  });

  it("runs 2 hashes at once with 2 workers, none queued", async () => {
    const pool = track(createPasswordHasherPool({ workers: 2, maxQueue: 0 }));
    await expectRunsAtOnce(pool, 2);
  });

  it("close() rejects what is waiting, terminates the workers, and refuses later calls cleanly", async () => {
    let spawned = 0;
    let terminated = 0;
    const pool = createWorkerPoolHasher({
      size: 2,
      maxQueue: 8,
      params: FAST_ARGON2_PARAMS,
      spawnWorker: () => {
        spawned++;
        const worker = spawnPasswordWorker(FAST_ARGON2_PARAMS);
        return {
          ...worker,
          async terminate() {
            terminated++;
            await worker.terminate();
          },
        };
      },
    });
    expect((await pool.verify(await pool.hash("before close"), "before close")).valid).toBe(true);

    // Two in the workers, three in the queue; all refused by close().
    const outcomes = Promise.allSettled(Array.from({ length: 5 }, (_, i) => pool.hash(`pending-${i}`)));
    await pool.close();

    for (const result of await outcomes) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PasswordHasherClosedError);
    }
    expect(spawned).toBe(2);
    expect(terminated).toBe(2);
    await expect(pool.hash("after close")).rejects.toBeInstanceOf(PasswordHasherClosedError);
    await expect(pool.verify("$argon2id$x", "after close")).rejects.toBeInstanceOf(PasswordHasherClosedError);
    await expect(pool.close()).resolves.toBeUndefined();
  });

  it("rejects the job of a worker that dies, instead of leaving it waiting", async () => {
    // Parameters the worker's createArgon2idHasher refuses: it throws at start-up, a real crash.
    const broken: Argon2Params = { ...FAST_ARGON2_PARAMS, memorySize: 1 };
    const pool = track(
      createWorkerPoolHasher({ size: 1, maxQueue: 2, params: FAST_ARGON2_PARAMS, spawnWorker: () => spawnPasswordWorker(broken) }),
    );

    await expect(pool.hash("doomed")).rejects.toBeInstanceOf(PasswordWorkerCrashedError);
    await expect(pool.hash("doomed again")).rejects.toBeInstanceOf(PasswordWorkerCrashedError);
  });
});

/** A worker the test drives by hand: it answers only when told to, and can be made to crash. */
class FakeWorker implements PasswordWorker {
  readonly received: PasswordWorkerRequest[] = [];
  terminated = false;
  private messageListeners: ((message: PasswordWorkerResponse) => void)[] = [];
  private errorListeners: ((error: unknown) => void)[] = [];

  postMessage(message: PasswordWorkerRequest): void {
    this.received.push(message);
  }
  onMessage(listener: (message: PasswordWorkerResponse) => void): void {
    this.messageListeners.push(listener);
  }
  onError(listener: (error: unknown) => void): void {
    this.errorListeners.push(listener);
  }
  async terminate(): Promise<void> {
    this.terminated = true;
  }

  answerHash(phcHash: string): void {
    const request = this.received.at(-1) as PasswordWorkerRequest;
    for (const listener of this.messageListeners) listener({ id: request.id, op: "hash", ok: true, phcHash });
  }
  crash(error: unknown): void {
    for (const listener of this.errorListeners) listener(error);
  }
}

function createFakePool(size: number, maxQueue: number, maxPerClient?: number) {
  const workers: FakeWorker[] = [];
  const pool = createWorkerPoolHasher({
    size,
    maxQueue,
    ...(maxPerClient !== undefined && { maxPerClient }),
    spawnWorker: () => {
      const worker = new FakeWorker();
      workers.push(worker);
      return worker;
    },
  });
  return { pool: track(pool), workers };
}

describe("createWorkerPoolHasher (scheduling, with fake workers)", () => {
  it("serves sign-in jobs ahead of confirmations, which have a quarter of the queue", async () => {
    const { pool, workers } = createFakePool(1, 8);
    const worker = workers[0] as FakeWorker;
    const confirmation = { lane: "confirmation", clients: [] } as const;
    const results = [pool.hash("c1", confirmation), pool.hash("c2", confirmation), pool.hash("c3", confirmation)];
    // c1 runs, c2 and c3 fill the confirmation queue (8 / 4 = 2); the next is refused at once.
    await expect(pool.hash("c4", confirmation)).rejects.toBeInstanceOf(PasswordHasherBusyError);
    const signIn = pool.hash("login", { lane: "sign-in", clients: [] });
    worker.answerHash("hash-c1");
    // The login overtakes the confirmations queued before it.
    expect(worker.received.map((request) => request.op === "hash" && request.password)).toEqual(["c1", "login"]);
    worker.answerHash("hash-login");
    worker.answerHash("hash-c2");
    worker.answerHash("hash-c3");
    expect(await Promise.all([signIn, ...results])).toEqual(["hash-login", "hash-c1", "hash-c2", "hash-c3"]);
  });

  it("refuses a client's job at once past maxPerClient running or queued, and frees its place as jobs end", async () => {
    const { pool, workers } = createFakePool(1, 50, 2);
    const worker = workers[0] as FakeWorker;
    const flood = { lane: "sign-in", clients: ["ip:203.0.113.9"] } as const;
    const first = pool.hash("a", flood);
    const second = pool.hash("b", flood);
    await expect(pool.hash("c", flood)).rejects.toBeInstanceOf(PasswordHasherBusyError);
    // Another client still gets a place.
    const other = pool.hash("x", { lane: "sign-in", clients: ["ip:198.51.100.1"] });
    worker.answerHash("hash-a");
    expect(await first).toBe("hash-a");
    const third = pool.hash("c", flood);
    worker.answerHash("hash-b");
    worker.answerHash("hash-x");
    worker.answerHash("hash-c");
    expect(await Promise.all([second, other, third])).toEqual(["hash-b", "hash-x", "hash-c"]);
  });

  it("runs queued jobs in arrival order as the worker frees up", async () => {
    const { pool, workers } = createFakePool(1, 5);
    const worker = workers[0] as FakeWorker;

    const results = ["a", "b", "c"].map((password) => pool.hash(password));
    expect(worker.received.map((request) => request.op === "hash" && request.password)).toEqual(["a"]);
    worker.answerHash("hash-a");
    expect(worker.received.map((request) => request.op === "hash" && request.password)).toEqual(["a", "b"]);
    worker.answerHash("hash-b");
    worker.answerHash("hash-c");

    expect(await Promise.all(results)).toEqual(["hash-a", "hash-b", "hash-c"]);
  });

  it("ignores answers it did not ask for", async () => {
    const { pool, workers } = createFakePool(1, 5);
    const worker = workers[0] as FakeWorker;
    const result = pool.hash("a");

    // A stale or foreign id must not resolve the job in flight.
    (worker as unknown as { messageListeners: ((m: PasswordWorkerResponse) => void)[] }).messageListeners[0]?.({
      id: 999,
      op: "hash",
      ok: true,
      phcHash: "forged",
    });
    worker.answerHash("hash-a");
    expect(await result).toBe("hash-a");
  });

  it("passes a worker's own failure on as a rejection, and the worker carries on", async () => {
    const { pool, workers } = createFakePool(1, 5);
    const worker = workers[0] as FakeWorker;
    const failing = pool.hash("a");
    const request = worker.received[0] as PasswordWorkerRequest;
    (worker as unknown as { messageListeners: ((m: PasswordWorkerResponse) => void)[] }).messageListeners[0]?.({
      id: request.id,
      op: "hash",
      ok: false,
      error: "boom",
    });
    await expect(failing).rejects.toThrow("boom");

    const next = pool.hash("b");
    worker.answerHash("hash-b");
    expect(await next).toBe("hash-b");
    expect(workers).toHaveLength(1);
  });

  it("rejects the in-flight job of a crashed worker and replaces the worker", async () => {
    const { pool, workers } = createFakePool(1, 5);
    const first = workers[0] as FakeWorker;

    const inFlight = pool.hash("a");
    const queued = pool.hash("b");
    first.crash(new Error("segfault"));

    await expect(inFlight).rejects.toBeInstanceOf(PasswordWorkerCrashedError);
    expect(first.terminated).toBe(true);
    // The queued job went to a fresh worker.
    expect(workers).toHaveLength(2);
    const second = workers[1] as FakeWorker;
    expect(second.received).toMatchObject([{ op: "hash", password: "b" }]);
    second.answerHash("hash-b");
    expect(await queued).toBe("hash-b");
  });

  it("does not respawn a worker that dies while idle until there is work for it", async () => {
    const { pool, workers } = createFakePool(1, 5);
    (workers[0] as FakeWorker).crash(new Error("died at start-up"));
    expect(workers).toHaveLength(1);

    const result = pool.hash("a");
    expect(workers).toHaveLength(2);
    (workers[1] as FakeWorker).answerHash("hash-a");
    expect(await result).toBe("hash-a");
  });

  it("spreads jobs over idle workers before queueing", async () => {
    const { pool, workers } = createFakePool(3, 0);
    // Never answered; close() in afterEach rejects them.
    for (const password of ["a", "b", "c"]) pool.hash(password).catch(() => {});

    expect(workers.map((worker) => worker.received.length)).toEqual([1, 1, 1]);
    await expect(pool.hash("d")).rejects.toBeInstanceOf(PasswordHasherBusyError);
  });
});
