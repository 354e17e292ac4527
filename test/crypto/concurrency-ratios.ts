import type { PasswordHasher } from "../../src/crypto/password.js";

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
