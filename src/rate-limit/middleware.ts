import type { Context, MiddlewareHandler } from "hono";
import { MemoryStore, rateLimiter, type ClientRateLimitInfo, type HonoConfigType, type RateLimitInfo, type Store } from "hono-rate-limiter";
import type { Logger } from "pino";
import type { Config, RateLimitRule } from "../config.js";
import type { AppDeps, AppEnv, AuthenticatedEnv } from "../deps.js";
import { clientIp } from "../http/client-ip.js";
import { logError } from "../lib/loggable-error.js";
import { rateLimitKeyOfIp } from "../lib/ip-address.js";
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
  /** Whose bucket a request counts in; the client's address (IPv6 by /64) by default. */
  key?: (c: Context<AppEnv>) => string;
  /** The `detail` of the 429; says "from your address" by default. */
  detail?: string;
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
    keyGenerator: (c) => (options.key ?? clientBucket)(c as unknown as Context<AppEnv>),
    handler: (c) => {
      const info = infoOf(c);
      options.onRejected?.();
      throw new ProblemError("RATE_LIMITED", {
        detail: options.detail ?? "Too many requests to this endpoint from your address; retry after the time in Retry-After.",
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
 * The per-IP limits, mounted in front of their routes before bodies are parsed (or tokens checked),
 * each with its own failure mode when Redis is down, chosen for what the route needs anyway:
 *
 * - POST /login fails **closed** (503). With Redis configured, login cannot succeed without it (its
 *   session is written there), so refusing costs no availability; letting guesses through would
 *   turn the outage into an unthrottled password oracle (a wrong password still answers 401, a
 *   right one 503). The per-account throttle fails closed for the same reason.
 * - POST /register fails **open** to a per-process count. Registration needs only the database, so
 *   a Redis outage must not stop sign-ups; the limit still holds per instance meanwhile.
 * - POST /refresh fails **open** likewise. Refresh tokens carry 256 random bits, so the limit guards
 *   load, not guessing; a refresh then succeeds or fails on its own session store.
 * - POST /me/password and DELETE /me (`password-confirm`, one count for both) verify a password,
 *   and the first hashes one too: they fail **closed** like /login, for the same oracle reason (and
 *   with Redis down their access token's session cannot be read anyway).
 */
export const AUTH_RATE_LIMITS = [
  { name: "register", policy: "register", routes: [{ method: "POST", path: "/register" }], onStoreFailure: "open" },
  {
    // A passkey login is a login: its options and its assertion count with POST /login, per client IP.
    name: "login",
    policy: "login",
    routes: [
      { method: "POST", path: "/login" },
      { method: "POST", path: "/login/passkey/options" },
      { method: "POST", path: "/login/passkey" },
      // The hosted sign-in page's password and passkey (src/routes/oauth-pages/).
      { method: "POST", path: "/oauth/sign-in" },
      { method: "POST", path: "/oauth/sign-in/passkey/options" },
      { method: "POST", path: "/oauth/sign-in/passkey" },
    ],
    onStoreFailure: "closed",
  },
  {
    // The OAuth token endpoint (codes, refresh tokens, client secrets) and its siblings count with /refresh.
    name: "refresh",
    policy: "refresh",
    routes: [
      { method: "POST", path: "/refresh" },
      { method: "POST", path: "/oauth/token" },
      { method: "POST", path: "/oauth/revoke" },
      { method: "POST", path: "/oauth/introspect" },
    ],
    onStoreFailure: "open",
  },
  {
    name: "passwordConfirm",
    policy: "password-confirm",
    routes: [
      { method: "POST", path: "/me/password" },
      { method: "DELETE", path: "/me" },
      { method: "POST", path: "/me/email" },
    ],
    onStoreFailure: "closed",
  },
  {
    // The routes that check a second-factor code or a recovery code, one count per client IP
    // across them; they fail closed like the password confirmations (a code oracle otherwise).
    name: "mfa",
    policy: "mfa",
    routes: [
      { method: "POST", path: "/me/mfa/totp" },
      { method: "POST", path: "/me/mfa/totp/confirm" },
      { method: "DELETE", path: "/me/mfa/totp" },
      { method: "POST", path: "/me/mfa/recovery-codes" },
      { method: "POST", path: "/login/mfa" },
      { method: "POST", path: "/oauth/sign-in/second-factor" },
      // Passkeys: the routes that verify an attestation or a step-up, and those that store a challenge.
      { method: "POST", path: "/login/mfa/passkey/options" },
      { method: "POST", path: "/me/passkeys/options" },
      { method: "POST", path: "/me/passkeys" },
      { method: "DELETE", path: "/me/passkeys/:id" },
    ],
    onStoreFailure: "closed",
  },
  {
    // The routes that send mail, one count per client IP across them; the per-address limit
    // (address-limit.ts) is what bounds the mail to any one address. They fail open: the
    // per-address limit still refuses (closed) while its store is away.
    name: "mail",
    policy: "mail",
    routes: [
      { method: "POST", path: "/password/forgot" },
      { method: "POST", path: "/email/verification" },
      { method: "POST", path: "/me/email" },
    ],
    onStoreFailure: "open",
  },
] as const satisfies ReadonlyArray<{
  name: keyof Config["rateLimits"];
  policy: string;
  routes: ReadonlyArray<{ method: string; path: string }>;
  onStoreFailure: StoreFailureMode;
}>;

/** One middleware per configured limit ("off" ones are left out), with its routes, for `app.on(method, path, …)`. */
export function createAuthRateLimits(
  deps: Pick<AppDeps, "logger" | "rateLimitStore"> & { config: Pick<Config, "rateLimits"> },
  hooks: { onRejected?: (limit: { name: string; path: string }) => void } = {},
): Array<{ method: string; path: string; middleware: MiddlewareHandler<AppEnv> }> {
  const limits: Array<{ method: string; path: string; middleware: MiddlewareHandler<AppEnv> }> = [];
  for (const { name, policy, routes, onStoreFailure } of AUTH_RATE_LIMITS) {
    const rule = deps.config.rateLimits[name];
    if (!rule) continue;
    // Keyed by the policy ("password-confirm"), as Redis keys and metrics name it.
    const store = deps.rateLimitStore?.(policy) ?? new MemoryStore();
    // One middleware, hence one count, for all the routes of the limit.
    let path: string = routes[0].path;
    const middleware = rateLimit({ name: policy, rule, store, onStoreFailure, logger: deps.logger, onRejected: () => hooks.onRejected?.({ name: policy, path }) });
    for (const route of routes) {
      limits.push({
        method: route.method,
        path: route.path,
        middleware: async function routeRateLimit(c, next) {
          path = route.path;
          await middleware(c, next);
        },
      });
    }
  }
  return limits;
}

/**
 * The per-user limits of routes behind requireAuth: a stolen token used from many addresses is
 * still one bucket. Built once by createApp (they need the store), reached by `requireUserRateLimit`.
 */
export const USER_RATE_LIMITS = [
  { name: "passwordConfirm", policy: "password-confirm-user", onStoreFailure: "closed" },
  { name: "mfa", policy: "mfa-user", onStoreFailure: "closed" },
] as const satisfies ReadonlyArray<{
  name: keyof Config["userRateLimits"];
  policy: string;
  onStoreFailure: StoreFailureMode;
}>;

export type UserRateLimits = Partial<Record<keyof Config["userRateLimits"], MiddlewareHandler<AppEnv>>>;

export function createUserRateLimits(
  deps: Pick<AppDeps, "logger" | "rateLimitStore"> & { config: Pick<Config, "userRateLimits"> },
  hooks: { onRejected?: (limit: { name: string; path: string }) => void } = {},
): UserRateLimits {
  const limits: UserRateLimits = {};
  for (const { name, policy, onStoreFailure } of USER_RATE_LIMITS) {
    const rule = deps.config.userRateLimits[name];
    if (!rule) continue;
    const store = deps.rateLimitStore?.(policy) ?? new MemoryStore();
    limits[name] = rateLimit({
      name: policy,
      rule,
      store,
      onStoreFailure,
      logger: deps.logger,
      key: (c) => `user:${(c as unknown as Context<AuthenticatedEnv>).var.auth.userId}`,
      detail: "Too many requests to this endpoint for your account; retry after the time in Retry-After.",
      onRejected: () => hooks.onRejected?.({ name: policy, path: "/me" }),
    });
  }
  return limits;
}

/**
 * A route middleware, listed after requireAuth, applying the per-user limit `name` (a no-op when it
 * is off): `middleware: [requireAuth(), requireUserRateLimit("passwordConfirm")] as const`.
 */
export function requireUserRateLimit(name: keyof Config["userRateLimits"]): MiddlewareHandler<AuthenticatedEnv> {
  return async function userRateLimit(c, next) {
    const limiter = c.var.services.userRateLimits[name];
    if (!limiter) return next();
    await limiter(c as unknown as Context<AppEnv>, next);
  };
}
