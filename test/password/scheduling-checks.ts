import { performance } from "node:perf_hooks";
import { expect } from "vitest";
import { PasswordHasherBusyError, type PasswordHasher } from "../../src/password/hasher.js";

/*
 * Behavioural checks of a hasher's scheduling, shared by the worker pool, the native hasher and the
 * Bun suite. None measures time: how much faster two hashes at once are than one after another is a
 * figure for bench/ (micro.bench.ts runs each hasher with one job and with 4 in flight).
 */

/**
 * Ten hashes at once into a hasher that runs one and queues two: exactly three are accepted, the
 * other seven fail with PasswordHasherBusyError (with a whole Retry-After of at least 1 s) before
 * any hash has finished, so an overload costs a refused client nothing but the refusal.
 */
export async function expectBurstRefusedAtOnce(hasher: PasswordHasher): Promise<void> {
  const settled: { ok: boolean; error?: unknown }[] = [];
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      hasher.hash(`burst-${i}`).then(
        () => settled.push({ ok: true }),
        (error: unknown) => settled.push({ ok: false, error }),
      ),
    ),
  );
  // One hashing, two waiting, seven refused, and every refusal settled before the first success:
  // refused without waiting for any hash.
  expect(settled.map((entry) => entry.ok)).toEqual([...Array<boolean>(7).fill(false), ...Array<boolean>(3).fill(true)]);
  for (const { error } of settled.slice(0, 7)) {
    expect(error).toBeInstanceOf(PasswordHasherBusyError);
    const { retryAfterSeconds } = error as PasswordHasherBusyError;
    expect(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 1).toBe(true);
  }
}

/**
 * A hasher of `concurrency` lanes and no queue takes exactly `concurrency` hashes at once, all
 * running (none waits, there is no queue to wait in), and refuses one more at once.
 */
export async function expectRunsAtOnce(hasher: PasswordHasher, concurrency: number): Promise<void> {
  const results = await Promise.allSettled(Array.from({ length: concurrency + 1 }, (_, i) => hasher.hash(`at-once-${i}`)));
  expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(concurrency);
  const refused = results.filter((result) => result.status === "rejected");
  expect(refused).toHaveLength(1);
  expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(PasswordHasherBusyError);
}

/**
 * The hashing runs off this thread: while `count` hashes (more than the lanes, so some queue behind
 * others) are in flight, this thread's event loop is idle most of the time. Read with
 * `performance.eventLoopUtilization()`, the share of the loop's time spent running callbacks rather
 * than waiting in the poller; a machine so busy that it descheduled this thread counts as waiting,
 * so the figure says where the work ran, not how fast: ~0.01 with the hashes in workers or on
 * libuv's pool, ~0.99 with the Argon2 passes run here (checked with the in-thread hasher).
 * Node only: Bun's eventLoopUtilization() answers zeros.
 */
export async function expectHashesOffTheEventLoop(hasher: PasswordHasher, count: number): Promise<void> {
  const before = performance.eventLoopUtilization();
  await Promise.all(Array.from({ length: count }, (_, i) => hasher.hash(`off-the-loop-${i}`)));
  const { utilization, active, idle } = performance.eventLoopUtilization(before);
  expect(active + idle).toBeGreaterThan(0);
  expect(utilization).toBeLessThan(0.5);
}
