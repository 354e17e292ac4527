import { expect } from "vitest";
import { PasswordHasherBusyError, type PasswordHasher } from "../../src/password/hasher.js";

/**
 * Wall time of `count` hashes sent all at once over that of `count` hashes sent one after another,
 * measured in the same test, pair after pair until one is under 0.8 (at most 8 pairs, a quarter of
 * a second apart). Two hashes really running at once give ~0.5; hashes that serialise give 1 or
 * more (hash-wasm without instance reuse gave ~1.0-1.6 with 2 workers). Retried because a busy
 * neighbour can hold this process to one CPU for a moment (Linux shares CPUs fairly between
 * sessions, whatever their thread counts); in that moment nothing can run two at once. A
 * behavioural check, not a benchmark.
 */
export async function concurrencyRatios(hasher: PasswordHasher, count: number): Promise<number[]> {
  const ratios: number[] = [];
  for (let attempt = 0; attempt < 8; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    let started = performance.now();
    for (let i = 0; i < count; i++) await hasher.hash(`one-at-a-time-${i}`);
    const sequential = performance.now() - started;
    started = performance.now();
    await Promise.all(Array.from({ length: count }, (_, i) => hasher.hash(`all-at-once-${i}`)));
    ratios.push(Number(((performance.now() - started) / sequential).toFixed(2)));
    if (ratios.at(-1)! < 0.8) break;
  }
  return ratios;
}

/**
 * Ten hashes at once into a hasher that runs one and queues two: exactly three are accepted, the
 * other seven fail with PasswordHasherBusyError (with a whole Retry-After of at least 1 s) before
 * any hash has finished, so an overload costs a refused client nothing but the refusal.
 */
export async function expectBurstRefusedAtOnce(hasher: PasswordHasher): Promise<void> {
  const settled: { ok: boolean; at: number; error?: unknown }[] = [];
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      hasher.hash(`burst-${i}`).then(
        () => settled.push({ ok: true, at: performance.now() }),
        (error: unknown) => settled.push({ ok: false, at: performance.now(), error }),
      ),
    ),
  );
  const accepted = settled.filter((entry) => entry.ok);
  const refused = settled.filter((entry) => !entry.ok);
  // One hashing, two waiting, seven refused.
  expect(accepted).toHaveLength(3);
  expect(refused).toHaveLength(7);
  for (const { error } of refused) {
    expect(error).toBeInstanceOf(PasswordHasherBusyError);
    const { retryAfterSeconds } = error as PasswordHasherBusyError;
    expect(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 1).toBe(true);
  }
  // Refused without waiting for any hash: every refusal came before the first success.
  expect(Math.max(...refused.map((entry) => entry.at))).toBeLessThan(Math.min(...accepted.map((entry) => entry.at)));
}
