import type { Config } from "../config.js";

/**
 * Failed password checks per account and per (account, source), for throttling that neither locks
 * an owner out from afar nor lets a botnet guess without end (NIST SP 800-63B §5.2.2).
 *
 * `Config["loginThrottle"]`:
 * - `maxFailures` failures from one source (a client address, IPv6 by /64) against one account are
 *   allowed before that source is refused for that account; a source's record is forgotten
 *   `windowSeconds` after its last failure (or the end of its lock); the first refusal lasts
 *   `baseBackoffSeconds`, each further failure doubles it, up to `maxBackoffSeconds`. Other sources,
 *   the owner's among them, are not affected.
 * - `accountMaxFailures` consecutive failures against the account, from all sources together (the
 *   hard cap; NIST allows at most 100), refuse every source until `accountWindowSeconds` have passed
 *   since the last one. A success resets the account's count.
 *
 * Keys are opaque to the store (the caller passes a hash of the normalised email, so unknown and
 * existing accounts are counted exactly alike, and a canonical source). Times are passed in by the
 * caller (`now`), never read from a clock inside the store, so tests can move time; the expiry
 * written into a record decides whether it is live, a Redis TTL only reclaims memory.
 *
 * Why reservations: a failure is counted only once the password check has failed, so that logins
 * still in flight (ten concurrent correct ones, say) never count as failures; but a burst of
 * concurrent wrong guesses must not all pass the check before the first failure is recorded. So
 * each attempt first takes a reservation, and no more attempts may be in flight than failures are
 * left in the budget (at least one); an attempt beyond that is told `busy` and retries shortly,
 * after which it finds the budget either refilled (the others succeeded) or spent (they failed).
 * A reservation is a lease: one left by a crashed instance is forgotten after `RESERVATION_LEASE_MS`.
 */
export type LoginThrottleRule = NonNullable<Config["loginThrottle"]>;

/** The two records one password check is counted against. */
export interface LoginThrottleKeys {
  /** The account (an opaque hash). */
  account: string;
  /** Where the attempt comes from (a canonical address or /64), within the account. */
  source: string;
}

export type LoginAttemptDecision =
  /** Check the password, then call `fail`, `succeed` or `release` with the same reservation. */
  | { outcome: "allowed" }
  /** The budget left is held by attempts still in flight: ask again shortly. */
  | { outcome: "busy" }
  /** Refused without checking anything: the source is in back-off, or the account at its hard cap. */
  | { outcome: "refused"; scope: "source" | "account"; retryAfterMs: number };

export interface LoginFailureCounts {
  /** Failures of this source against the account, this one included. */
  sourceFailures: number;
  /** Consecutive failures against the account from all sources, this one included. */
  accountFailures: number;
}

/** How long a reservation holds its place in the budget when its attempt never reports back. */
export const RESERVATION_LEASE_MS = 60_000;

export interface LoginThrottleStore {
  /**
   * One atomic step: refuses while the account is at its hard cap or the source is locked;
   * otherwise, if fewer attempts are in flight than failures remain in both budgets (at least one
   * each), records `reservation` as in flight and allows; else answers `busy`.
   */
  begin(keys: LoginThrottleKeys, reservation: string, now: Date, rule: LoginThrottleRule): Promise<LoginAttemptDecision>;
  /**
   * The password was wrong: ends the reservation and counts one failure for the source and the
   * account, locking the source for min(base × 2^(count − maxFailures), max) once its count
   * reaches `maxFailures`. Counts even when the reservation's lease has run out.
   */
  fail(keys: LoginThrottleKeys, reservation: string, now: Date, rule: LoginThrottleRule): Promise<LoginFailureCounts>;
  /** The password was right: ends the reservation and resets the account's count and this source's. */
  succeed(keys: LoginThrottleKeys, reservation: string): Promise<void>;
  /** The attempt tested no password (a dependency failed, the hasher was busy): ends the reservation, counts nothing. */
  release(keys: LoginThrottleKeys, reservation: string): Promise<void>;
}

/** min(base × 2^(failures − maxFailures), max) in ms once `failures` reaches the limit, else 0. */
export function backoffMs(failures: number, rule: LoginThrottleRule): number {
  if (failures < rule.maxFailures) return 0;
  const exponent = Math.min(failures - rule.maxFailures, 40);
  return Math.min(rule.baseBackoffSeconds * 2 ** exponent, rule.maxBackoffSeconds) * 1000;
}
