import { backoffMs, type LoginAttemptDecision, type LoginThrottleRule, type LoginThrottleStore } from "./store.js";

export interface MemoryLoginThrottleStoreOptions {
  /**
   * Records kept at most; beyond it the least recently attempted one is dropped. Each is about
   * 150 bytes, so the default bounds the store near 15 MB whatever emails an attacker invents.
   */
  maxEntries?: number;
}

interface Entry {
  attempts: number;
  lockedUntil: number;
  expiresAt: number;
}

/** Expired records swept per attempt, so memory follows the live records without a timer. */
const SWEEP_PER_ATTEMPT = 8;

/**
 * Per-process failed-login counts, for a single instance without Redis. The same semantics as the
 * Redis store (the shared contract test holds both to them); JavaScript runs each call's
 * read-modify-write without interleaving, which makes every step atomic here.
 */
export function createMemoryLoginThrottleStore(options: MemoryLoginThrottleStoreOptions = {}): LoginThrottleStore {
  const maxEntries = options.maxEntries ?? 100_000;
  // A Map iterates in insertion order; re-inserting on every attempt keeps it least-recent first.
  const entries = new Map<string, Entry>();

  function live(key: string, nowMs: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= nowMs) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function sweep(nowMs: number): void {
    let checked = 0;
    for (const [key, entry] of entries) {
      if (checked++ >= SWEEP_PER_ATTEMPT) break;
      if (entry.expiresAt <= nowMs) entries.delete(key);
    }
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  }

  return {
    async attempt(key: string, now: Date, rule: LoginThrottleRule): Promise<LoginAttemptDecision> {
      const nowMs = now.getTime();
      const entry = live(key, nowMs);
      if (entry && entry.lockedUntil > nowMs) return { allowed: false, retryAfterMs: entry.lockedUntil - nowMs };
      const attempts = (entry?.attempts ?? 0) + 1;
      const lockMs = backoffMs(attempts, rule);
      entries.delete(key);
      entries.set(key, {
        attempts,
        lockedUntil: lockMs > 0 ? nowMs + lockMs : 0,
        expiresAt: nowMs + lockMs + rule.windowSeconds * 1000,
      });
      sweep(nowMs);
      return { allowed: true, attempts };
    },

    async refund(key: string, now: Date): Promise<void> {
      const entry = live(key, now.getTime());
      if (!entry || entry.attempts <= 0) return;
      entry.attempts -= 1;
      entry.lockedUntil = 0;
    },

    async reset(key: string): Promise<void> {
      entries.delete(key);
    },
  };
}
