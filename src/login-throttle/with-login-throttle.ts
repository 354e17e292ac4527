import type { Logger } from "pino";
import type { AuthService } from "../auth/auth-service.js";
import type { LoginThrottleKeys, LoginThrottleRule, LoginThrottleStore } from "./store.js";
import { toBase64Url } from "../lib/encoding.js";
import { ProblemError, serviceUnavailable } from "../http/problem.js";
import { logError } from "../lib/loggable-error.js";
import { tooManyRequestsHeaders } from "../rate-limit/headers.js";
import { rateLimitKeyOfIp } from "../lib/ip-address.js";

/** The policy names in the RateLimit headers: per (account, source), and the account's hard cap. */
export const LOGIN_THROTTLE_POLICY = "login-account";
export const LOGIN_THROTTLE_CAP_POLICY = "login-account-cap";

/**
 * How long an attempt waits, polling, while the budget left is held by attempts in flight, and how
 * often it asks. Those attempts finish in one Argon2 verification (tens of ms) plus a queue that is
 * itself bounded, so this is only reached when something is stuck; then the answer is a 429 with
 * Retry-After 1, as for any other refusal, and no password was checked.
 */
const BUSY_WAIT_MAX_MS = 10_000;
const BUSY_POLL_MS = 20;

export interface LoginThrottleOptions {
  rule: LoginThrottleRule;
  store: LoginThrottleStore;
  clock: () => Date;
  logger: Logger;
  /** Told of each attempt refused (for metrics); must not throw. */
  onRefused?: () => void;
}

/** Who is guessing at what: the account's email (normalised here) and the client's address. */
export interface ThrottleSubject {
  email: string;
  ip: string | null;
}

export interface GuardHooks {
  /** Whether an error of the check means "wrong password" (counted); any other error tested none (not counted). */
  isWrongPassword(error: unknown): boolean;
  /** After a counted failure; `sourceBudgetSpent` once this source has used up its budget for the account. */
  afterFailure?(result: { sourceBudgetSpent: boolean }): Promise<void>;
  /** Before a refusal is thrown: `source` when this source is in back-off, `account` at the hard cap. */
  onRefused?(scope: "source" | "account"): Promise<void>;
}

/** Runs one password check under the per-(account, source) budget and the account's hard cap. */
export interface LoginThrottle {
  guard<T>(subject: ThrottleSubject, check: () => Promise<T>, hooks: GuardHooks): Promise<T>;
}

/**
 * The store key of an account: a hash of the normalised email, so that every spelling of one
 * address shares a count, an unknown address is counted exactly like an existing one (the throttle
 * must not tell them apart), and Redis holds no address in clear.
 */
async function accountKey(email: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`login-throttle\0${email.trim().toLowerCase()}`));
  return toBase64Url(new Uint8Array(digest));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Failed-password throttling (NIST SP 800-63B §5.2.2), shared by login and by the password
 * confirmations of /me/password and DELETE /me:
 *
 * - Failures are counted per account *and source* (the client address, IPv6 by its /64): an
 *   attacker failing from one address backs off only that address, so the owner still logs in
 *   from another; after `maxFailures` the source gets 429 for a back-off that doubles with each
 *   further failure. Against a botnet, the account's hard cap (`accountMaxFailures` consecutive
 *   failures from all sources, at most 100) refuses everyone until it has been quiet for a while.
 * - A failure is counted only when the password check has failed; the attempts in flight hold
 *   reservations that keep a concurrent burst within the budget (src/login-throttle/store.ts).
 * - A refused attempt checks no password: it answers the same, fast, for an unknown email, a wrong
 *   password and the right one, so it reveals neither the account nor the password.
 * - A success resets the account's count and this source's. An attempt that ended without testing
 *   credentials (a dependency down, the hasher busy, a disabled account) counts nothing.
 * - When the store itself fails, the check fails closed (503): see `AUTH_RATE_LIMITS` for why.
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { rule, store, clock, logger } = options;

  function storeFailed(error: unknown): ProblemError {
    logError(logger, "login throttle store failed; refusing the password check", error);
    return serviceUnavailable();
  }

  /** Bookkeeping after the answer is known must never change it. */
  async function settle<T>(step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step();
    } catch (error) {
      logError(logger, "login throttle bookkeeping failed", error);
      return undefined;
    }
  }

  function refusal(scope: "source" | "account", retryAfterMs: number): ProblemError {
    options.onRefused?.();
    return scope === "account"
      ? new ProblemError("RATE_LIMITED", {
          detail: "Too many failed password checks for this account; retry after the time in Retry-After.",
          headers: tooManyRequestsHeaders(LOGIN_THROTTLE_CAP_POLICY, rule.accountMaxFailures, rule.accountWindowSeconds, retryAfterMs / 1000),
        })
      : new ProblemError("RATE_LIMITED", {
          detail: "Too many failed password checks for this account from your address; retry after the time in Retry-After.",
          headers: tooManyRequestsHeaders(LOGIN_THROTTLE_POLICY, rule.maxFailures, rule.windowSeconds, retryAfterMs / 1000),
        });
  }

  async function reserve(keys: LoginThrottleKeys, reservation: string, hooks: GuardHooks): Promise<void> {
    const deadline = performance.now() + BUSY_WAIT_MAX_MS;
    for (;;) {
      let decision;
      try {
        decision = await store.begin(keys, reservation, clock(), rule);
      } catch (error) {
        throw storeFailed(error);
      }
      if (decision.outcome === "allowed") return;
      if (decision.outcome === "refused") {
        await hooks.onRefused?.(decision.scope);
        throw refusal(decision.scope, decision.retryAfterMs);
      }
      if (performance.now() >= deadline) throw refusal("source", 1000);
      await sleep(BUSY_POLL_MS);
    }
  }

  return {
    async guard(subject, check, hooks) {
      const keys = { account: await accountKey(subject.email), source: rateLimitKeyOfIp(subject.ip ?? undefined) };
      const reservation = crypto.randomUUID();
      await reserve(keys, reservation, hooks);
      let result;
      try {
        result = await check();
      } catch (error) {
        if (hooks.isWrongPassword(error)) {
          const counts = await settle(() => store.fail(keys, reservation, clock(), rule));
          await settle(async () => hooks.afterFailure?.({ sourceBudgetSpent: (counts?.sourceFailures ?? 0) >= rule.maxFailures }));
        } else {
          await settle(() => store.release(keys, reservation));
        }
        throw error;
      }
      await settle(() => store.succeed(keys, reservation));
      return result;
    },
  };
}

/**
 * The password checks under the throttle, as a decorator of `AuthService.login` and of
 * `checkPassword` (the hosted sign-in page's check): one budget per account for both.
 */
export function withLoginThrottle(auth: AuthService, throttle: LoginThrottle | undefined): AuthService {
  if (!throttle) return auth;
  const hooks: GuardHooks = { isWrongPassword: (error) => error instanceof ProblemError && error.code === "INVALID_CREDENTIALS" };
  return {
    ...auth,
    login: (input) => throttle.guard({ email: input.email, ip: input.ip }, () => auth.login(input), hooks),
    checkPassword: (input) => throttle.guard({ email: input.email, ip: input.ip }, () => auth.checkPassword(input), hooks),
  };
}
