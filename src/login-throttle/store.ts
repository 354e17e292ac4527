import type { Config } from "../config.js";

/**
 * Failed-login counts per account, for throttling that no spread of client addresses escapes.
 *
 * Keys are opaque to the store (the caller passes a hash of the normalised email, so unknown and
 * existing accounts are counted exactly alike and no address is kept in clear). Times are passed in
 * by the caller (`now`), never read from a clock inside the store, so tests can move time; the
 * expiry written into a record decides whether it is live, a Redis TTL only reclaims memory.
 */
/**
 * `Config["loginThrottle"]`: `maxFailures` attempts may fail before the account is refused; a record
 * is forgotten `windowSeconds` after its last attempt (or the end of its lock); the first refusal
 * lasts `baseBackoffSeconds`, each further failed attempt doubles it, up to `maxBackoffSeconds`.
 */
export type LoginThrottleRule = NonNullable<Config["loginThrottle"]>;

export type LoginAttemptDecision =
  /** Go ahead and check the password; `attempts` counts this one. */
  | { allowed: true; attempts: number }
  /** Refused without checking anything; `retryAfterMs` until the lock ends. */
  | { allowed: false; retryAfterMs: number };

export interface LoginThrottleStore {
  /**
   * One atomic step: if `key` is locked at `now`, refuses. Otherwise counts this attempt as a
   * failure *before* the password is checked (so that a burst of concurrent guesses cannot all pass
   * the check before any failure is recorded) and, once the count reaches `rule.maxFailures`, locks
   * the key for min(base × 2^(count − maxFailures), max) seconds: the growing back-off.
   */
  attempt(key: string, now: Date, rule: LoginThrottleRule): Promise<LoginAttemptDecision>;
  /**
   * Takes back one attempt that tested no password (a dependency failed, the hasher was busy), and
   * lifts the lock it may have set: an attempt is only allowed while the key is unlocked, so
   * before it the key was unlocked. Does nothing for an unknown or expired key.
   */
  refund(key: string, now: Date): Promise<void>;
  /** Forgets the key entirely: a successful login. */
  reset(key: string): Promise<void>;
}

/** min(base × 2^(attempts − maxFailures), max) in ms once `attempts` reaches the limit, else 0. */
export function backoffMs(attempts: number, rule: LoginThrottleRule): number {
  if (attempts < rule.maxFailures) return 0;
  const exponent = Math.min(attempts - rule.maxFailures, 40);
  return Math.min(rule.baseBackoffSeconds * 2 ** exponent, rule.maxBackoffSeconds) * 1000;
}
