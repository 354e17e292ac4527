import type { Context } from "hono";
import type { Store as RateLimitStore } from "hono-rate-limiter";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Config } from "./config.js";
import type { AccessTokens } from "./tokens/jwt.js";
import type { PasswordHasher } from "./password/hasher.js";
import type { TracingDeps } from "./observability/tracing.js";
import type { AccountService } from "./users/account-service.js";
import type { AdminService } from "./users/admin-service.js";
import type { AuthService } from "./auth/auth-service.js";
import type { RecordSecurityEvent } from "./events/recorder.js";
import type { LoginThrottleStore } from "./login-throttle/store.js";
import type { SecurityEventStore } from "./events/store.js";
import type { SessionStore } from "./sessions/store.js";
import type { User, UserStore } from "./users/store.js";

/** Something /readyz asks; `check` rejects when the dependency does not answer. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/**
 * Everything the app needs, built once by a runtime entrypoint or a test helper and passed to
 * `createApp`. Nothing here is read from globals.
 */
export interface AppDeps {
  config: Pick<Config, "tokens" | "http" | "env" | "rateLimits" | "loginThrottle" | "metrics">;
  logger: Logger;
  users: UserStore;
  sessions: SessionStore;
  events: SecurityEventStore;
  hasher: PasswordHasher;
  accessTokens: AccessTokens;
  readinessChecks: ReadinessCheck[];
  /** Injected so tests can move time; defaults to the wall clock. */
  clock?: () => Date;
  /** The peer address of the connection, which only the runtime knows. */
  remoteAddress?: (c: Context) => string | undefined;
  /** The counter store of one named rate limit (Redis, shared by every instance); absent: in process. */
  rateLimitStore?: (limit: string) => RateLimitStore;
  /** Failed-login counts per account (Redis, shared); absent: in process. */
  loginThrottleStore?: LoginThrottleStore;
  /** Where the app registers its metrics (the entrypoint adds process metrics); absent: a registry of the app's own. */
  metricsRegistry?: Registry;
  /** An OpenTelemetry tracer (src/observability/); absent: no spans and no wrappers, tracing costs nothing. */
  tracing?: TracingDeps;
}

/** What handlers reach through `c.var.services`. */
export interface AppServices extends Omit<AppDeps, "clock" | "remoteAddress"> {
  auth: AuthService;
  account: AccountService;
  admin: AdminService;
  recordEvent: RecordSecurityEvent;
  clock: () => Date;
  remoteAddress: (c: Context) => string | undefined;
}

/** Who a verified access token speaks for; set by the requireAuth middleware. */
export interface AuthContext {
  userId: string;
  sessionId: string;
  roles: string[];
}

export interface AppEnv {
  Variables: {
    services: AppServices;
    requestId: string;
    auth: AuthContext;
    /** The caller's user as read by requireAuth for this request. */
    user: User;
    /** The request's trace id, set when tracing is on (src/observability/tracing.ts), for the request log line. */
    traceId: string;
  };
}
