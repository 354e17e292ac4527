import { backoffMs, RESERVATION_LEASE_MS } from "./store.js";
import type { LoginAttemptDecision, LoginFailureCounts, LoginThrottleKeys, LoginThrottleRule, LoginThrottleStore } from "./store.js";

export interface MemoryLoginThrottleStoreOptions {
  /**
   * Records kept at most; beyond it the least recently touched one is dropped. Each is a few hundred
   * bytes, so the default bounds the store near 30 MB whatever emails an attacker invents.
   */
  maxEntries?: number;
}

interface Entry {
  failures: number;
  /** 0 = unlocked (only source records lock; an account at its cap is refused by its count). */
  lockedUntil: number;
  /** When `failures` and the lock are forgotten. */
  expiresAt: number;
  /** Reservations in flight, by id, with the end of their lease. */
  pending: Map<string, number>;
}

/** Expired records swept per call, so memory follows the live records without a timer. */
const SWEEP_PER_CALL = 8;

/**
 * Per-process failure counts, for a single instance without Redis. The same semantics as the Redis
 * store (the shared contract test holds both to them); JavaScript runs each call's
 * read-modify-write without interleaving, which makes every step atomic here.
 */
export function createMemoryLoginThrottleStore(options: MemoryLoginThrottleStoreOptions = {}): LoginThrottleStore {
  const maxEntries = options.maxEntries ?? 100_000;
  // A Map iterates in insertion order; re-inserting on every touch keeps it least-recent first.
  const entries = new Map<string, Entry>();
  const accountKey = (keys: LoginThrottleKeys) => `a\0${keys.account}`;
  const sourceKey = (keys: LoginThrottleKeys) => `s\0${keys.account}\0${keys.source}`;

  function dead(entry: Entry, nowMs: number): boolean {
    return entry.expiresAt <= nowMs && entry.pending.size === 0;
  }

  /** The live record (counts zeroed once expired, leases past their end dropped), moved to the back. */
  function load(key: string, nowMs: number): Entry {
    let entry = entries.get(key);
    if (entry) {
      for (const [id, until] of entry.pending) if (until <= nowMs) entry.pending.delete(id);
      if (entry.expiresAt <= nowMs) Object.assign(entry, { failures: 0, lockedUntil: 0 });
      entries.delete(key);
    } else {
      entry = { failures: 0, lockedUntil: 0, expiresAt: 0, pending: new Map() };
    }
    entries.set(key, entry);
    return entry;
  }

  function sweep(nowMs: number): void {
    let checked = 0;
    for (const [key, entry] of entries) {
      if (checked++ >= SWEEP_PER_CALL) break;
      if (dead(entry, nowMs)) entries.delete(key);
    }
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  }

  function end(keys: LoginThrottleKeys, reservation: string): void {
    entries.get(accountKey(keys))?.pending.delete(reservation);
    entries.get(sourceKey(keys))?.pending.delete(reservation);
  }

  return {
    async begin(keys, reservation, now, rule): Promise<LoginAttemptDecision> {
      const nowMs = now.getTime();
      const account = load(accountKey(keys), nowMs);
      const source = load(sourceKey(keys), nowMs);
      let decision: LoginAttemptDecision;
      if (account.failures >= rule.accountMaxFailures) {
        decision = { outcome: "refused", scope: "account", retryAfterMs: account.expiresAt - nowMs };
      } else if (source.lockedUntil > nowMs) {
        decision = { outcome: "refused", scope: "source", retryAfterMs: source.lockedUntil - nowMs };
      } else if (
        source.pending.size >= Math.max(1, rule.maxFailures - source.failures) ||
        account.pending.size >= Math.max(1, rule.accountMaxFailures - account.failures)
      ) {
        decision = { outcome: "busy" };
      } else {
        account.pending.set(reservation, nowMs + RESERVATION_LEASE_MS);
        source.pending.set(reservation, nowMs + RESERVATION_LEASE_MS);
        decision = { outcome: "allowed" };
      }
      sweep(nowMs);
      return decision;
    },

    async fail(keys, reservation, now, rule): Promise<LoginFailureCounts> {
      const nowMs = now.getTime();
      end(keys, reservation);
      const account = load(accountKey(keys), nowMs);
      const source = load(sourceKey(keys), nowMs);
      account.failures += 1;
      account.expiresAt = nowMs + rule.accountWindowSeconds * 1000;
      source.failures += 1;
      const lockMs = backoffMs(source.failures, rule);
      source.lockedUntil = lockMs > 0 ? nowMs + lockMs : 0;
      source.expiresAt = nowMs + lockMs + rule.windowSeconds * 1000;
      sweep(nowMs);
      return { sourceFailures: source.failures, accountFailures: account.failures };
    },

    async succeed(keys, reservation): Promise<void> {
      end(keys, reservation);
      for (const key of [accountKey(keys), sourceKey(keys)]) {
        const entry = entries.get(key);
        if (!entry) continue;
        Object.assign(entry, { failures: 0, lockedUntil: 0, expiresAt: 0 });
        if (entry.pending.size === 0) entries.delete(key);
      }
    },

    async release(keys, reservation): Promise<void> {
      end(keys, reservation);
    },
  };
}
