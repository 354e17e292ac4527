import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { PasswordHasherBusyError } from "./password/hasher.js";
import { authenticatedUserId, type AppDeps, type AppEnv, type AppServices } from "./deps.js";
import { isDependencyOutage } from "./lib/dependency-errors.js";
import { logError } from "./lib/loggable-error.js";
import { createLoginThrottle, withLoginThrottle } from "./login-throttle/with-login-throttle.js";
import { bearerChallenge, ProblemError, renderProblem, serviceUnavailable, type ProblemCode } from "./http/problem.js";
import { validationHook } from "./http/validation.js";
import { finishDocument, TAGS } from "./http/openapi.js";
import { noStoreByDefault } from "./http/cache-control.js";
import { AUTH_RATE_LIMITS, createAuthRateLimits, createUserRateLimits } from "./rate-limit/middleware.js";
import { createObservability } from "./observability/instrument.js";
import { createAccountRouter } from "./routes/account/account.index.js";
import { createAdminRouter } from "./routes/admin/admin.index.js";
import { createAuthRouter } from "./routes/auth/auth.index.js";
import { createServiceRouter } from "./routes/service/service.index.js";
import { createAccountService } from "./users/account-service.js";
import { createAdminService } from "./users/admin-service.js";
import { createAuthService } from "./auth/auth-service.js";
import { createSecurityEventRecorder } from "./events/recorder.js";
import { createMemoryLoginThrottleStore } from "./login-throttle/memory-store.js";
import { createEmailFlowsService } from "./recovery/index.js";
import { createAddressRateLimit } from "./rate-limit/address-limit.js";
import { createEmailRouter } from "./routes/email/email.index.js";
import { createMfaService } from "./mfa/index.js";
import { createMfaRouter } from "./routes/mfa/mfa.index.js";
import { createPasskeyService } from "./passkeys/index.js";
import { createPasskeysRouter } from "./routes/passkeys/passkeys.index.js";
import { createSwaggerUi } from "./docs/swagger-ui.js";
import { createProblemsRouter } from "./routes/problems/problems.index.js";
import { createClientAuthentication, createClientService } from "./oauth/clients/index.js";
import { createOAuthProvider, OAuthError } from "./oauth/index.js";
import { createOAuthRouter } from "./routes/oauth/oauth.index.js";
import { createConsentsRouter } from "./routes/consents/consents.index.js";
import { renderOAuthError } from "./routes/oauth/oauth-error-response.js";
import { createOAuthPagesRouter } from "./routes/oauth-pages/oauth-pages.js";
import { HOSTED_PAGE_PATHS, hostedPageErrors } from "./routes/oauth-pages/page-errors.js";

const HTTP_EXCEPTION_CODES: Partial<Record<number, ProblemCode>> = {
  400: "MALFORMED_JSON",
  401: "INVALID_TOKEN",
  404: "NOT_FOUND",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
  503: "SERVICE_UNAVAILABLE",
};

/** Turns anything thrown into an RFC 9457 problem; never echoes an internal message or a stack. */
function toProblem(error: Error, c: Context<AppEnv>): ProblemError {
  return withChallenge(classify(error, c), error, c);
}

function classify(error: Error, c: Context<AppEnv>): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof PasswordHasherBusyError) {
    return new ProblemError("SERVER_BUSY", {
      detail: "Too many password operations are queued; retry shortly.",
      headers: { "retry-after": String(error.retryAfterSeconds) },
    });
  }
  if (error instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[error.status];
    // A 503 promises Retry-After like every other 503 of the service (serviceUnavailable).
    if (code === "SERVICE_UNAVAILABLE") return serviceUnavailable("The service cannot answer this request now; retry shortly.");
    if (code) {
      const headers: Record<string, string> = {};
      // An early 413 leaves the rest of the body unread; closing the connection keeps a keep-alive
      // client from sending its next request into that unread body.
      if (error.status === 413) headers.connection = "close";
      return new ProblemError(code, { headers });
    }
  }
  // Never the error object itself: a driver error carries the query's values (loggable-error.ts).
  logError(c.var.services.logger, isDependencyOutage(error) ? "dependency unavailable" : "unhandled error", error, { requestId: c.var.requestId });
  return isDependencyOutage(error) ? serviceUnavailable() : new ProblemError("INTERNAL_ERROR");
}

/**
 * RFC 9110 §15.5.2: every 401 carries a challenge, whoever raised it: our own ProblemErrors and a
 * Hono HTTPException 401 (a middleware's) alike. A challenge the thrower prepared is kept (a
 * ProblemError's headers, or the one on an HTTPException's own response). Otherwise a bad access
 * token gets RFC 6750's invalid_token (for an HTTPException, which says nothing of the token, only
 * when the request carried credentials); /login's and /refresh's 401s (no Bearer token was sent,
 * so no error code, RFC 6750 §3.1) get the plain Bearer challenge: Bearer is what this realm
 * accepts and what those endpoints hand out, and unlike Basic it never makes a browser open a
 * password dialog.
 */
function withChallenge(problem: ProblemError, thrown: Error, c: Context<AppEnv>): ProblemError {
  if (problem.status !== 401 || "www-authenticate" in problem.headers) return problem;
  const fromHono = thrown instanceof HTTPException && !(thrown instanceof ProblemError);
  const prepared = fromHono ? thrown.getResponse().headers.get("www-authenticate") : null;
  const tokenRefused = fromHono ? c.req.header("authorization") !== undefined : problem.code === "INVALID_TOKEN";
  problem.headers["www-authenticate"] = prepared ?? bearerChallenge(tokenRefused ? "invalid_token" : undefined);
  return problem;
}

export function createApp(appDeps: AppDeps) {
  // Metrics always, spans too when a tracer is given: the stores and the hasher come back wrapped.
  const observability = createObservability(appDeps);
  const { metrics } = observability;
  const deps = observability.deps;
  const { users, sessions, events, hasher, clock, logger, accessTokens } = deps;
  const recordEvent = createSecurityEventRecorder({ store: events, logger, clock });
  const { loginThrottle: rule } = deps.config;
  // Failed-password throttling per (account, source) and per account, around login and the password
  // confirmations alike (src/login-throttle/with-login-throttle.ts).
  const throttleOf = (path: string) =>
    rule
      ? createLoginThrottle({ rule, store: throttleStore, clock, logger, onRefused: () => metrics.onRateLimited("login-account", path) })
      : undefined;
  const throttleStore = deps.loginThrottleStore ?? createMemoryLoginThrottleStore();
  const loginThrottle = throttleOf("/login");
  const auth = withLoginThrottle(
    createAuthService({
      users,
      sessions,
      hasher,
      passwordPolicy: deps.passwordPolicy,
      accessTokens,
      lifetimes: deps.config.tokens,
      clock,
      recordEvent,
      logger,
      requireEmailVerification: deps.config.emailFlows.requireVerification,
      onOutcome: metrics.onAuthOutcome,
      // Declared below (it needs the account service); called only on requests, long after both exist.
      secondFactor: {
        isEnrolled: (userId) => mfa.isEnrolled(userId),
        startLoginChallenge: (userId, now) => mfa.startLoginChallenge(userId, now),
        completeLoginChallenge: (input) => mfa.completeLoginChallenge(input),
        // A user with passkeys may finish with one; the second step itself is asked for by TOTP only.
        methods: async (userId) => ((await passkeys.count(userId)) > 0 ? ["totp", "recovery_code", "passkey"] : ["totp", "recovery_code"]),
        completeLoginChallengeWithPasskey: ({ mfaToken, response, userAgent, ip }) =>
          mfa.completeLoginChallengeWith({
            mfaToken,
            method: "passkey",
            userAgent,
            ip,
            check: async (userId) => ["pwd", await passkeys.verifySecondFactor({ userId, mfaToken, response, userAgent, ip }), "mfa"],
          }),
      },
      passkeys: { verifyLogin: (input) => passkeys.verifyLogin(input) },
    }),
    loginThrottle,
  );
  const confirmationThrottle = throttleOf("/me");
  const account = createAccountService({
    users,
    sessions,
    events,
    hasher,
    passwordPolicy: deps.passwordPolicy,
    clock,
    recordEvent,
    // Declared below; called only after a password change, long after both exist.
    afterPasswordChange: (userId) => emailFlows.passwordChanged(userId),
    // Declared below as well: the step-up's second factor.
    requireSecondFactor: (caller, proof) => mfa.requireSecondFactor(caller, proof),
    ...(confirmationThrottle && { throttle: confirmationThrottle }),
  });
  const mfa = createMfaService({
    store: deps.mfa,
    ...(deps.mfaSecretBox && { secretBox: deps.mfaSecretBox }),
    users,
    sessions,
    confirmPassword: (caller, password) => account.confirmPassword(caller, password),
    ...(confirmationThrottle && { throttle: confirmationThrottle }),
    ...(loginThrottle && { loginThrottle }),
    issuer: deps.config.mfa.issuer,
    clock,
    recordEvent,
    // Declared below; an admin's reset of the factors removes the passkeys too.
    passkeys: { removeAllForUser: (userId) => passkeys.removeAllForUser(userId) },
  });
  const passkeys = createPasskeyService({
    store: deps.passkeys,
    relyingParty: deps.config.webauthn,
    users,
    sessions,
    // The step-up of DELETE /me/passkeys/{id}: the password, then TOTP's code or a recovery code when TOTP is enabled.
    confirmStepUp: (caller, { password, code, recoveryCode }) => account.confirmStepUp(caller, password, { code, recoveryCode }),
    mfaTokenUser: (mfaToken) => mfa.loginChallengeUser(mfaToken),
    ...(loginThrottle && { loginThrottle }),
    clock,
    recordEvent,
  });
  const emailFlows = createEmailFlowsService({
    users,
    sessions,
    tokens: deps.oneTimeTokens,
    hasher,
    passwordPolicy: deps.passwordPolicy,
    confirmStepUp: (caller, password, secondFactor) => account.confirmStepUp(caller, password, secondFactor),
    mail: deps.mail,
    templates: deps.mailTemplates,
    addressLimit: createAddressRateLimit({
      name: "mail-address",
      rule: deps.config.emailFlows.perAddressLimit,
      ...(deps.rateLimitStore && { store: deps.rateLimitStore("mail-address") }),
    }),
    ttlSeconds: deps.config.emailFlows.tokenTtlSeconds,
    clock,
    recordEvent,
    background: deps.background,
  });
  const { issuer } = deps.config.jwt;
  const oauth = createOAuthProvider({
    store: deps.oauth,
    sessions,
    users,
    keys: deps.signingKeys,
    issuer,
    defaultAudience: deps.config.jwt.audience,
    accessTokenTtlSeconds: deps.config.tokens.accessTokenTtlSeconds,
    lifetimes: deps.config.tokens,
    clock,
    recordEvent,
    findClient: (id) => deps.clients.get(id),
    authenticateClient: createClientAuthentication({ clients: deps.clients, issuer, tokenEndpoint: `${issuer}/oauth/token` }),
  });
  const services: AppServices = {
    auth,
    account,
    emailFlows,
    mfa,
    passkeys,
    clients: createClientService({ clients: deps.clients, clock, endGrants: (clientId) => oauth.endClientGrants(clientId) }),
    oauth,
    branding: deps.branding,
    admin: createAdminService({ users, sessions, clock, recordEvent, resetSecondFactors: (input) => mfa.adminReset(input) }),
    config: deps.config,
    issuer: deps.config.jwt.issuer,
    logger,
    clock,
    remoteAddress: deps.remoteAddress,
    accessTokens,
    sessions,
    users,
    readinessChecks: deps.readinessChecks,
    userRateLimits: createUserRateLimits(deps, { onRejected: ({ name, path }) => metrics.onRateLimited(name, path) }),
  };

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  // Sets X-Request-Id before the handler runs; errors are answered through the context, so it survives them.
  app.use(requestId({ limitLength: 128 }));
  for (const middleware of observability.middleware) app.use(middleware);
  app.use(async function provideServices(c, next) {
    c.set("services", services);
    await next();
  });
  // `overwrite: false`: a header an answer set itself stays (the hosted pages' own nonce CSP and
  // X-Frame-Options DENY, src/pages/page-security.ts); every other answer gets the defaults.
  app.use(secureHeaders({ crossOriginResourcePolicy: "same-origin", overwrite: false }));
  // Personal data and tokens are never cached; the few public documents opt out (src/http/cache-control.ts).
  app.use(noStoreByDefault());
  app.use(async function logRequest(c, next) {
    const started = performance.now();
    await next();
    c.var.services.logger.info(
      {
        requestId: c.var.requestId,
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        userId: authenticatedUserId(c),
        traceId: c.get("traceId"),
      },
      "request",
    );
  });
  if (deps.config.http.corsOrigins.length > 0) {
    app.use(cors({ origin: deps.config.http.corsOrigins, allowHeaders: ["authorization", "content-type", "x-request-id"], exposeHeaders: ["www-authenticate", "retry-after", "ratelimit", "ratelimit-policy", "x-request-id"], maxAge: 600 }));
  }
  // Before the body limit and the rate limits: their problems become error pages on the hosted pages.
  for (const path of HOSTED_PAGE_PATHS) app.use(path, hostedPageErrors());
  app.use(bodyLimit({ maxSize: deps.config.http.bodyLimitBytes }));
  // Per-client-IP limits on the routes that check or hash a password, and /refresh, before their
  // bodies are parsed; the per-user ones run after requireAuth, as route middleware.
  for (const { method, path, middleware } of createAuthRateLimits(deps, { onRejected: ({ name, path }) => metrics.onRateLimited(name, path) })) {
    app.on(method, path, middleware);
  }

  app.route("/", createAuthRouter());
  app.route("/", createAccountRouter());
  app.route("/", createConsentsRouter());
  app.route("/", createAdminRouter());
  app.route("/", createEmailRouter());
  app.route("/", createMfaRouter());
  app.route("/", createPasskeysRouter());
  app.route("/", createServiceRouter());
  app.route("/", createOAuthRouter());
  app.route("/", createOAuthPagesRouter());
  app.route("/", createProblemsRouter());
  observability.mountMetricsEndpoint(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from /login or /refresh",
  });
  // DOCS_ENABLED=false (e.g. in production): neither is mounted, so both are the usual 404 problem.
  if (deps.config.docs.enabled) {
    // Built once, on the first request (every route is registered by then), and served as it is.
    let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
    app.get("/doc", (c) => {
      document ??= finishDocument(
        app.getOpenAPI31Document({
          openapi: "3.1.0",
          info: {
            title: "auth-service",
            version: "0.1.0",
            description:
              "Registers users, logs them in, issues short-lived JWT access tokens and rotating refresh tokens. Every error is an RFC 9457 problem (application/problem+json) whose `type` is a page of this service (/problems).",
            // The repository grants no licence (package.json: private; npm's word for that is
            // UNLICENSED, which SPDX, whose identifiers OpenAPI 3.1 takes, knows only as a LicenseRef).
            license: { name: "UNLICENSED", identifier: "LicenseRef-UNLICENSED" } as { name: string },
            contact: { name: "auth-service maintainers" },
          },
          // JWT_ISSUER is the public URL of this deployment; every path is relative to it.
          servers: [{ url: issuer, description: "This deployment (JWT_ISSUER)" }],
          tags: TAGS,
        }),
        // Hono's ":id" is OpenAPI's "{id}".
        { rateLimited: new Set(AUTH_RATE_LIMITS.flatMap(({ routes }) => routes.map(({ method, path }) => `${method} ${path.replace(/:(\w+)/g, "{$1}")}`))) },
      );
      return c.json(document, 200);
    });
    // Swagger UI from the swagger-ui-dist package, served by the service itself under a strict CSP.
    app.route("/", createSwaggerUi({ documentUrl: "/doc", title: "auth-service API" }));
  }

  app.notFound((c) => renderProblem(c, new ProblemError("NOT_FOUND", { detail: "No such endpoint." }), { issuer, requestId: c.var.requestId }));
  app.onError((error, c) =>
    // The OAuth endpoints' own errors keep RFC 6749's shape; everything else is a problem.
    error instanceof OAuthError ? renderOAuthError(c, error) : renderProblem(c, toProblem(error, c), { issuer, requestId: c.var.requestId }),
  );

  return app;
}

export type App = ReturnType<typeof createApp>;
