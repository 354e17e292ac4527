import type { Context, MiddlewareHandler } from "hono";
import { MemoryStore, rateLimiter, type ClientRateLimitInfo, type HonoConfigType, type RateLimitInfo, type Store } from "hono-rate-limiter";
import type { Logger } from "pino";
import type { Config, RateLimitRule } from "../config.js";
import type { AppDeps, AppEnv } from "../deps.js";
import { clientIp } from "../http/client-ip.js";
import { logError } from "../lib/loggable-error.js";
import { rateLimitKeyOfIp } from "./ip-key.js";
import { ProblemError, serviceUnavailable } from "../http/problem.js";
import { rateLimitPolicyValue, rateLimitValue, tooManyRequestsHeaders } from "./headers.js";

/**
 * What a request meets when the counter store (Redis) fails:
 * - `open`: it is counted in a per-process memory store instead, so the limit still holds, per
 *   instance rather than shared, until Redis answers again;
 * - `closed`: it is refused with a 503 problem.
 * Either way, never a 500.
 */
export type StoreFailureMode = "open" | "closed";

export interface RateLimitOptions {
  /** The policy's name in the RateLimit headers ("login"); also names it in logs. */
  name: string;
  rule: RateLimitRule;
  /** Where the counters live: a Redis store shared by every instance, or hono-rate-limiter's MemoryStore. */
  store: Store;
  onStoreFailure: StoreFailureMode;
  logger: Logger;
  /** Told of each request refused with 429 (for metrics); must not throw. */
  onRejected?: () => void;
}

/** Whole seconds until `resetTime`, at least 1 (a 0 would invite an immediate retry). */
function secondsUntil(resetTime: Date | undefined, fallbackSeconds: number): number {
  if (!resetTime) return fallbackSeconds;
  return Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000));
}

/**
 * MemoryStore.increment returns its live, mutable counter. hono-rate-limiter awaits it before
 * reading `totalHits`, and in that pause a concurrent request's increment changes the same
 * object: a burst would then all read the final count and all be refused. A copy taken before any
 * await keeps each request's own count (a Redis store returns a fresh object anyway).
 */
function snapshot(info: ClientRateLimitInfo): ClientRateLimitInfo {
  return { totalHits: info.totalHits, resetTime: info.resetTime && new Date(info.resetTime.getTime()) };
}

/** Applies the failure mode around the real store, so hono-rate-limiter never sees its errors. */
function withFailureMode(primary: Store, options: RateLimitOptions): Store {
  const { name, onStoreFailure, logger } = options;
  const fallback = onStoreFailure === "open" ? new MemoryStore() : undefined;

  function onFailure(error: unknown): MemoryStore {
    // An outage is expected to pass; anything else is a bug and logged as one, but still not a 500.
    logError(logger, fallback ? "rate-limit store failed; counting in process" : "rate-limit store failed; refusing the request", error, { limiter: name, mode: onStoreFailure });
    if (!fallback) throw serviceUnavailable("The rate limiter's store is not answering; retry shortly.");
    return fallback;
  }

  return {
    prefix: primary.prefix,
    localKeys: primary.localKeys,
    init(config: HonoConfigType) {
      primary.init?.(config);
      fallback?.init(config);
    },
    async increment(key: string): Promise<ClientRateLimitInfo> {
      try {
        const counted = primary.increment(key);
        return snapshot(counted instanceof Promise ? await counted : counted);
      } catch (error) {
        return snapshot(onFailure(error).increment(key));
      }
    },
    async decrement(key: string): Promise<void> {
      try {
        await primary.decrement(key);
      } catch (error) {
        onFailure(error).decrement(key);
      }
    },
    async resetKey(key: string): Promise<void> {
      try {
        await primary.resetKey(key);
      } catch (error) {
        onFailure(error).resetKey(key);
      }
    },
  };
}

/** The client's bucket: its address (TRUST_PROXY decides whether X-Forwarded-For counts), IPv6 by /64. */
function clientBucket(c: Context<AppEnv>): string {
  const { remoteAddress, config } = c.var.services;
  return rateLimitKeyOfIp(clientIp(c, remoteAddress(c), config.http.trustProxyHops));
}

/**
 * A per-client-IP rate limit with hono-rate-limiter: past `rule.limit` requests in a window of
 * `rule.windowSeconds`, a 429 problem with `Retry-After`; every answer of the route carries the
 * `RateLimit-Policy` and `RateLimit` headers of the current IETF draft (see rate-limit-headers.ts).
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const { name, rule } = options;
  if (!Number.isInteger(rule.limit) || rule.limit < 1) throw new Error(`rate limit ${name}: limit must be a positive integer`);
  if (!Number.isInteger(rule.windowSeconds) || rule.windowSeconds < 1) throw new Error(`rate limit ${name}: window must be at least 1 second`);

  const infoKey = `rateLimit:${name}`;
  const infoOf = (c: Context | Context<AppEnv>) => (c as unknown as Context<{ Variables: Record<string, RateLimitInfo> }>).get(infoKey);
  // hono-rate-limiter's types take a plain Env (its Store is typed by it); the casts below only
  // restore this app's Env and the limiter's per-request state, kept under a name of its own.
  const limiter = rateLimiter({
    windowMs: rule.windowSeconds * 1000,
    limit: rule.limit,
    // hono-rate-limiter 0.5 writes only drafts 6 and 7; the headers are written below instead.
    standardHeaders: false,
    requestPropertyName: infoKey,
    requestStorePropertyName: `${infoKey}:store`,
    store: withFailureMode(options.store, options),
    keyGenerator: (c) => clientBucket(c as unknown as Context<AppEnv>),
    handler: (c) => {
      const info = infoOf(c);
      options.onRejected?.();
      throw new ProblemError("RATE_LIMITED", {
        detail: `Too many requests to this endpoint from your address; retry after the time in Retry-After.`,
        headers: tooManyRequestsHeaders(name, rule.limit, rule.windowSeconds, secondsUntil(info?.resetTime, rule.windowSeconds)),
      });
    },
  });

  return async function rateLimit(c, next) {
    await limiter(c as unknown as Context, next);
    // Reached only when the request was let through; the 429 carries its own headers. Appended, so
    // that a policy the handler reported (the per-account login throttle) stays listed too.
    const info = infoOf(c);
    if (!info) return;
    c.header("ratelimit-policy", rateLimitPolicyValue(name, rule.limit, rule.windowSeconds), { append: true });
    c.header("ratelimit", rateLimitValue(name, info.remaining, secondsUntil(info.resetTime, rule.windowSeconds)), { append: true });
  };
}

/**
 * The limits of the three unauthenticated endpoints that cost the most or guard the most, each
 * with its own failure mode when Redis is down, chosen for what the route needs anyway:
 *
 * - POST /login fails **closed** (503). With Redis configured, login cannot succeed without it (its
 *   session is written there), so refusing costs no availability; letting guesses through would
 *   turn the outage into an unthrottled password oracle (a wrong password still answers 401, a
 *   right one 503). The per-account throttle fails closed for the same reason.
 * - POST /register fails **open** to a per-process count. Registration needs only the database, so
 *   a Redis outage must not stop sign-ups; the limit still holds per instance meanwhile.
 * - POST /refresh fails **open** likewise. Refresh tokens carry 256 random bits, so the limit guards
 *   load, not guessing; a refresh then succeeds or fails on its own session store.
 */
export const AUTH_RATE_LIMITS = [
  { name: "register", path: "/register", onStoreFailure: "open" },
  { name: "login", path: "/login", onStoreFailure: "closed" },
  { name: "refresh", path: "/refresh", onStoreFailure: "open" },
  // The routes that send mail, each counted on its own (per client IP and route); the per-address
  // limit (address-limit.ts) is what bounds the mail to any one address. They fail open: the
  // per-address limit still refuses (closed) while its store is away.
  { name: "mail", path: "/password/forgot", onStoreFailure: "open" },
  { name: "mail", path: "/email/verification", onStoreFailure: "open" },
  { name: "mail", path: "/me/email", onStoreFailure: "open" },
] as const satisfies ReadonlyArray<{ name: keyof Config["rateLimits"]; path: string; onStoreFailure: StoreFailureMode }>;

/** One middleware per configured limit ("off" ones are left out), with its path, for `app.on("POST", …)`. */
export function createAuthRateLimits(
  deps: Pick<AppDeps, "logger" | "rateLimitStore"> & { config: Pick<Config, "rateLimits"> },
  hooks: { onRejected?: (limit: { name: string; path: string }) => void } = {},
): Array<{ path: string; middleware: MiddlewareHandler<AppEnv> }> {
  const limits: Array<{ path: string; middleware: MiddlewareHandler<AppEnv> }> = [];
  for (const { name, path, onStoreFailure } of AUTH_RATE_LIMITS) {
    const rule = deps.config.rateLimits[name];
    if (!rule) continue;
    // One counter per route: the original three keep their key prefix (their name), the mail routes add their path.
    const store = deps.rateLimitStore?.(name === "mail" ? `${name}${path}` : name) ?? new MemoryStore();
    const onRejected = () => hooks.onRejected?.({ name, path });
    limits.push({ path, middleware: rateLimit({ name, rule, store, onStoreFailure, logger: deps.logger, onRejected }) });
  }
  return limits;
}
