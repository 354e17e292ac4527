import type { Logger } from "pino";
import type { AuthService } from "../auth/auth-service.js";
import type { LoginThrottleRule, LoginThrottleStore } from "./store.js";
import { toBase64Url } from "../lib/encoding.js";
import { ProblemError, serviceUnavailable } from "../http/problem.js";
import { logError } from "../lib/loggable-error.js";
import { tooManyRequestsHeaders } from "../rate-limit/headers.js";

/** The policy name of the per-account throttle in the RateLimit headers. */
export const LOGIN_THROTTLE_POLICY = "login-account";

export interface LoginThrottleOptions {
  rule: LoginThrottleRule;
  store: LoginThrottleStore;
  clock: () => Date;
  logger: Logger;
  /** Told of each attempt refused while the account is locked (for metrics); must not throw. */
  onRefused?: () => void;
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

/**
 * Failed-login throttling per account, independent of the client's address (a botnet spreading
 * guesses over many addresses against one account is still slowed), as a decorator of
 * `AuthService.login`:
 *
 * - Before the password is checked, the store counts the attempt (atomically, so concurrent
 *   guesses cannot all slip through) or refuses it with a 429 while the account is locked: after
 *   `maxFailures` failed attempts, for a back-off that doubles with each further failure.
 * - A refused attempt checks no password: it answers the same, fast, for an unknown email, a wrong
 *   password and the right one, so it reveals neither the account nor the password.
 * - A success forgets the count. An attempt that ended without testing credentials (a dependency
 *   down, the hasher busy, a disabled account) is refunded, so an outage does not lock users out.
 * - When the store itself fails, login fails closed (503): see `AUTH_RATE_LIMITS` for why.
 *
 * Known trade-off: anyone may lock an account they can name by failing on purpose; the back-off is
 * capped (`maxBackoffSeconds`) to bound that denial of service.
 */
export function withLoginThrottle(auth: AuthService, options: LoginThrottleOptions | undefined): AuthService {
  if (!options) return auth;
  const { rule, store, clock, logger } = options;

  function storeFailed(error: unknown): ProblemError {
    logError(logger, "login throttle store failed; refusing the login", error);
    return serviceUnavailable();
  }

  /** Bookkeeping after the answer is known must never change it. */
  async function settle(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      logError(logger, "login throttle bookkeeping failed", error);
    }
  }

  return {
    ...auth,
    async login(input) {
      const key = await accountKey(input.email);
      let decision;
      try {
        decision = await store.attempt(key, clock(), rule);
      } catch (error) {
        throw storeFailed(error);
      }
      if (!decision.allowed) {
        options.onRefused?.();
        throw new ProblemError("RATE_LIMITED", {
          detail: "Too many failed logins for this account; retry after the time in Retry-After.",
          headers: tooManyRequestsHeaders(LOGIN_THROTTLE_POLICY, rule.maxFailures, rule.windowSeconds, decision.retryAfterMs / 1000),
        });
      }
      try {
        const pair = await auth.login(input);
        await settle(() => store.reset(key));
        return pair;
      } catch (error) {
        const credentialsFailed = error instanceof ProblemError && error.code === "INVALID_CREDENTIALS";
        if (!credentialsFailed) await settle(() => store.refund(key, clock()));
        throw error;
      }
    },
  };
}
