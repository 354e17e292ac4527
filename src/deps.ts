import type { Context } from "hono";
import type { Store as RateLimitStore } from "hono-rate-limiter";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Config } from "./config.js";
import type { AccessTokens } from "./tokens/jwt.js";
import type { PasswordHasher } from "./password/hasher.js";
import type { PasswordPolicy } from "./password/policy.js";
import type { TracingDeps } from "./observability/tracing.js";
import type { AccountService } from "./users/account-service.js";
import type { AdminService } from "./users/admin-service.js";
import type { AuthService } from "./auth/auth-service.js";
import type { LoginThrottleStore } from "./login-throttle/store.js";
import type { MiddlewareHandler } from "hono";
import type { SecurityEventStore } from "./events/store.js";
import type { SessionStore } from "./sessions/store.js";
import type { User, UserStore } from "./users/store.js";
import type { MailQueue, MailTemplates } from "./mail/index.js";
import type { BackgroundTasks } from "./lib/background.js";
import type { EmailFlowsService, MailOutbox, OneTimeTokenStore } from "./recovery/index.js";
import type { MfaService, MfaStore, SecretBox } from "./mfa/index.js";
import type { PasskeyService, PasskeyStore } from "./passkeys/index.js";
import type { ClientService, ClientStore } from "./oauth/clients/index.js";
import type { OAuthProvider, OAuthStore } from "./oauth/index.js";
import type { SigningKeys } from "./tokens/jwt.js";
import type { Branding } from "./pages/index.js";

/** Something /readyz asks; `check` rejects when the dependency does not answer. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/**
 * Everything the app needs, built once by the composition root (src/compose.ts) and passed to
 * `createApp`. Nothing here is read from globals.
 */
export interface AppDeps {
  config: Config;
  logger: Logger;
  users: UserStore;
  sessions: SessionStore;
  events: SecurityEventStore;
  /** One-time tokens of the email flows (SQL). */
  oneTimeTokens: OneTimeTokenStore;
  /** Second factors: TOTP factors, recovery codes, pending second login steps (SQL). */
  mfa: MfaStore;
  /** Seals TOTP secrets at rest; absent (production without MFA_ENCRYPTION_KEY): enrolment answers 503. */
  mfaSecretBox?: SecretBox;
  /** Passkeys: WebAuthn credentials and the challenges of ceremonies in flight (SQL). */
  passkeys: PasskeyStore;
  /** The OAuth client registry (SQL). */
  clients: ClientStore;
  /** The OAuth provider's codes, grants, consents and pending requests (SQL). */
  oauth: OAuthStore;
  /** The signing keys (the OAuth provider signs ID tokens with them). */
  signingKeys: SigningKeys;
  /** The hosted pages' product name, logo and colour (PAGES_*), read once at start. */
  branding: Branding;
  /** Where the flows put messages: the mail queue's enqueue; `configured` false without any transport. */
  mail: MailOutbox;
  mailTemplates: MailTemplates;
  /** The outbox worker: the entrypoint (or the test) starts it and stops it. */
  mailQueue: MailQueue;
  /** Work a request starts and does not wait for; shutdown (and tests) wait with `whenIdle`. */
  background: BackgroundTasks;
  hasher: PasswordHasher;
  /** What a new password must pass (register, change, reset). */
  passwordPolicy: PasswordPolicy;
  accessTokens: AccessTokens;
  readinessChecks: ReadinessCheck[];
  /** Injected so tests can move time. */
  clock: () => Date;
  /** The peer address of the connection, which only the runtime knows. */
  remoteAddress: (c: Context) => string | undefined;
  /** The counter store of one named rate limit (Redis, shared by every instance); absent: in process. */
  rateLimitStore?: (limit: string) => RateLimitStore;
  /** Failed-login counts per account (Redis, shared); absent: in process. */
  loginThrottleStore?: LoginThrottleStore;
  /** Where the app registers its metrics (the entrypoint adds process metrics); absent: a registry of the app's own. */
  metricsRegistry?: Registry;
  /** Where the mail queue's counters are: `metricsRegistry` when given, else a registry of their own that /metrics serves too. */
  mailMetricsRegistry: Registry;
  /** An OpenTelemetry tracer (src/observability/); absent: no spans and no wrappers, tracing costs nothing. */
  tracing?: TracingDeps;
}

/**
 * What handlers and middleware reach through `c.var.services`: the services that hold the rules,
 * and the few dependencies that middleware reads directly (requireAuth verifies tokens and reads the
 * session and the user; the rate limiter and client-info read the config and the peer address).
 */
export interface AppServices {
  auth: AuthService;
  account: AccountService;
  admin: AdminService;
  emailFlows: EmailFlowsService;
  mfa: MfaService;
  passkeys: PasskeyService;
  /** The OAuth client registry's rules (admin API, CLI). */
  clients: ClientService;
  oauth: OAuthProvider;
  branding: Branding;
  config: Pick<Config, "http">;
  /** The public base URL (JWT_ISSUER, no trailing slash): the metadata's issuer, the problem pages' links. */
  issuer: string;
  logger: Logger;
  clock: () => Date;
  remoteAddress: (c: Context) => string | undefined;
  accessTokens: AccessTokens;
  sessions: Pick<SessionStore, "get">;
  users: Pick<UserStore, "findById">;
  readinessChecks: ReadinessCheck[];
  /** The per-user rate limits, built once with their stores (src/rate-limit/middleware.ts); absent ones are off. */
  userRateLimits: Partial<Record<keyof Config["userRateLimits"], MiddlewareHandler<AppEnv>>>;
}

/**
 * Who a verified access token speaks for; set by the requireAuth middleware. No roles: the token's
 * claim may be stale, so authorisation reads the roles of `user` (requireRole).
 */
export interface AuthContext {
  userId: string;
  sessionId: string;
}

/** The variables every request has. */
export interface AppVariables {
  services: AppServices;
  requestId: string;
  /** The request's trace id, set when tracing is on (src/observability/tracing.ts), for the request log line. */
  traceId: string;
}

export interface AppEnv {
  Variables: AppVariables;
}

/**
 * The env of the routes behind requireAuth: its middleware type carries these variables into the
 * handlers of the routes that list it (zod-openapi's `middleware: [requireAuth()] as const`), so
 * only those handlers can read `c.var.auth` and `c.var.user`.
 */
export interface AuthenticatedEnv {
  Variables: AppVariables & {
    auth: AuthContext;
    /** The caller's user as read by requireAuth for this request. */
    user: User;
  };
}

/** The caller's id where requireAuth ran on this request (for the request log line), else undefined. */
export function authenticatedUserId(c: Context<AppEnv>): string | undefined {
  return (c.var as Partial<AuthenticatedEnv["Variables"]>).auth?.userId;
}
