import { join } from "node:path";
import { z } from "zod";

/**
 * The only module that reads configuration. `loadConfig(env)` is pure: it takes the
 * environment as an argument, so tests and the CLI can pass their own, and it throws a
 * `ConfigError` naming the variable instead of exiting the process.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

const DURATION_UNITS_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** A duration in seconds, written as whole seconds ("900") or with a unit ("15m", "30d"). */
const durationSeconds = (min: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+[smhd]?$/, 'must be whole seconds ("900") or a number with a unit s, m, h or d ("15m")')
    .transform((text) => {
      const unit = text.at(-1) as string;
      const factor = unit in DURATION_UNITS_SECONDS ? DURATION_UNITS_SECONDS[unit as keyof typeof DURATION_UNITS_SECONDS] : 1;
      return Number.parseInt(text, 10) * factor;
    })
    .pipe(z.number().int().min(min, `must be at least ${min} seconds`));

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const flag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
  .transform((value) => value === "true" || value === "1" || value === "yes");

const csv = z
  .string()
  .transform((value) => value.split(",").map((item) => item.trim()).filter(Boolean));

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`);

/** "count/duration" ("10/1h", "20/10m", "60/60"), or "0" / "off" for none (null). */
const countPerDuration = (maxCount: number) =>
  z
    .string()
    .trim()
    .transform((text, ctx): { limit: number; windowSeconds: number } | null => {
      if (text === "0" || text.toLowerCase() === "off") return null;
      const match = /^(\d{1,9})\s*\/\s*(\d{1,9})([smhd]?)$/.exec(text);
      const limit = Number(match?.[1]);
      const windowSeconds = Number(match?.[2]) * (DURATION_UNITS_SECONDS[(match?.[3] || "s") as keyof typeof DURATION_UNITS_SECONDS] ?? 1);
      if (!match || limit < 1 || limit > maxCount || windowSeconds < 1 || windowSeconds > 7 * 86_400) {
        ctx.addIssue({
          code: "custom",
          message: `must be "count/duration" (count 1 to ${maxCount}, duration 1s to 7d, e.g. "10/1h") or 0/off`,
        });
        return z.NEVER;
      }
      return { limit, windowSeconds };
    });

/** A web origin as browsers report it in clientDataJSON: scheme, host and port only ("https://app.example.com"). */
const webOrigin = z.string().refine((value) => {
  try {
    const parsed = new URL(value);
    return (parsed.protocol === "https:" || parsed.protocol === "http:") && parsed.origin === value;
  } catch {
    return false;
  }
}, 'must be origins like "https://app.example.com" (scheme, host and port; no path or trailing slash)');

/** A link path on APP_URL: starts with "/", no query or fragment (the token is the query). */
const linkPath = z
  .string()
  .trim()
  .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/, 'must be a path starting with "/", without "?" or "#"');

/** Redis Cluster seed nodes, "host:port,host:port" ("[::1]:7000" for IPv6); the client discovers the rest. */
const hostPortList = z.string().transform((text, ctx) => {
  const nodes: Array<{ host: string; port: number }> = [];
  for (const item of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(item);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) {
      ctx.addIssue({ code: "custom", message: `must be a comma-separated list of host:port ("${item}" is not)` });
      return z.NEVER;
    }
    nodes.push({ host: match[1] ?? match[2]!, port });
  }
  if (nodes.length === 0) {
    ctx.addIssue({ code: "custom", message: "must list at least one host:port" });
    return z.NEVER;
  }
  return nodes;
});

/** OTEL_EXPORTER_OTLP_HEADERS: "key=value,key2=value2", values percent-encoded (W3C Baggage style). */
const otlpHeaders = z.string().transform((text, ctx) => {
  const headers: Record<string, string> = {};
  for (const item of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const at = item.indexOf("=");
    const key = item.slice(0, at).trim();
    let value: string | undefined;
    try {
      value = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      value = undefined;
    }
    if (at < 1 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key) || value === undefined) {
      ctx.addIssue({ code: "custom", message: 'must be a comma-separated list of key=value (values percent-encoded)' });
      return z.NEVER;
    }
    headers[key.toLowerCase()] = value;
  }
  return headers;
});

/** base64url length of at least `bits` bits (a JWK's RSA modulus `n`, RFC 7518 §6.3.1.1). */
const base64UrlOfAtLeastBits = (bits: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "must be base64url")
    .refine((value) => Math.floor((value.length * 6) / 8) >= bits / 8, `must be an RSA modulus of at least ${bits} bits`);

/**
 * Private signing keys as a JSON array of JWKs, first one signs. Each key's algorithm is pinned
 * here, once, from its key type (or its own `alg`, which must fit the type): Ed25519 signs EdDSA,
 * P-256 ES256, RSA RS256 (RFC 9068 §2.1's mandatory one) unless `alg` asks for PS256. RSA keys
 * below 2048 bits are refused (NIST SP 800-131A; RFC 7518 §3.3 requires at least 2048).
 */
const privateJwks = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON array of private JWKs" });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(
        z.discriminatedUnion(
          "kty",
          [
            z.looseObject({
              kty: z.literal("OKP"),
              kid: z.string().min(1, "every key needs a kid"),
              crv: z.literal("Ed25519", { error: "an OKP key's crv must be Ed25519" }),
              alg: z.literal("EdDSA", { error: "an Ed25519 key's alg must be EdDSA" }).default("EdDSA"),
              d: z.string().min(1, "must be a private key (with d)"),
              x: z.string().min(1),
            }),
            z.looseObject({
              kty: z.literal("EC"),
              kid: z.string().min(1, "every key needs a kid"),
              crv: z.literal("P-256", { error: "an EC key's crv must be P-256" }),
              alg: z.literal("ES256", { error: "a P-256 key's alg must be ES256" }).default("ES256"),
              d: z.string().min(1, "must be a private key (with d)"),
              x: z.string().min(1),
              y: z.string().min(1),
            }),
            z.looseObject({
              kty: z.literal("RSA"),
              kid: z.string().min(1, "every key needs a kid"),
              alg: z.enum(["RS256", "PS256"], { error: "an RSA key's alg must be RS256 or PS256" }).default("RS256"),
              n: base64UrlOfAtLeastBits(2048),
              e: z.string().min(1),
              d: z.string().min(1, "must be a private key (with d)"),
              // WebCrypto imports private RSA JWKs only with their CRT parameters.
              p: z.string().min(1, "an RSA private key needs p, q, dp, dq and qi"),
              q: z.string().min(1, "an RSA private key needs p, q, dp, dq and qi"),
              dp: z.string().min(1, "an RSA private key needs p, q, dp, dq and qi"),
              dq: z.string().min(1, "an RSA private key needs p, q, dp, dq and qi"),
              qi: z.string().min(1, "an RSA private key needs p, q, dp, dq and qi"),
            }),
          ],
          { error: "every key's kty must be OKP (Ed25519), EC (P-256) or RSA" },
        ),
      )
      .min(1, "must hold at least one key"),
  );

/** The pages' default accent: a calm blue, 6.3:1 against white (WCAG AA for text on it and of it). */
export const DEFAULT_ACCENT_COLOR = "#1a5fb4";

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().trim().min(1).default("0.0.0.0"),
  PORT: integer(0, 65_535).default(3000),
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  DATABASE_POOL_SIZE: integer(1, 200).default(10),
  DATA_DIR: z.string().trim().min(1).default("./.data"),
  MIGRATE_ON_START: flag.default(true),
  REDIS_URL: url(["redis:", "rediss:"]).optional(),
  // Redis Cluster instead of REDIS_URL (see README, "Scaling out and Redis Cluster").
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  REDIS_CLUSTER_USERNAME: z.string().optional(),
  REDIS_CLUSTER_PASSWORD: z.string().optional(),
  REDIS_CLUSTER_TLS: flag.optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]*$/, "may hold only letters, digits and : _ . -")
    .default("auth:"),
  JWT_SECRET: z.string().optional(),
  // 32 random bytes, base64 (`openssl rand -base64 32`): seals TOTP secrets at rest (src/mfa/secret-box.ts).
  MFA_ENCRYPTION_KEY: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9+/_-]+={0,2}$/, "must be base64 (`openssl rand -base64 32`)")
    .transform((text, ctx) => {
      let bytes: Uint8Array | undefined;
      try {
        bytes = Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
      } catch {
        bytes = undefined;
      }
      if (bytes?.length !== 32) {
        ctx.addIssue({ code: "custom", message: "must be exactly 32 bytes, base64 (`openssl rand -base64 32`)" });
        return z.NEVER;
      }
      return bytes;
    })
    .optional(),
  JWT_PRIVATE_KEYS: privateJwks.optional(),
  // Passkeys (WebAuthn): the relying party (resolveWebAuthn). Unset: JWT_ISSUER's host name and origin.
  WEBAUTHN_RP_ID: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(?=.{1,253}$)(?!\d+(?:\.\d+){3}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be a domain name without scheme, port or path ("example.com"), not an IP address')
    .optional(),
  WEBAUTHN_RP_NAME: z.string().trim().min(1).max(64, "must be at most 64 characters").optional(),
  WEBAUTHN_ORIGINS: csv.pipe(z.array(webOrigin).min(1, "must list at least one origin")).optional(),
  // Unset: the development URL http://localhost:PORT (resolveIssuer); production must set it.
  JWT_ISSUER: url(["http:", "https:"]).optional(),
  JWT_CLIENT_ID: z.string().trim().min(1).default("auth-service"),
  JWT_AUDIENCE: z.string().trim().min(1).default("auth-service"),
  JWT_CLOCK_TOLERANCE: durationSeconds(0).pipe(z.number().max(300, "must be at most 300 seconds")).default(5),
  ACCESS_TOKEN_TTL: durationSeconds(30).default(15 * 60),
  REFRESH_TOKEN_TTL: durationSeconds(60).default(14 * 86_400),
  SESSION_MAX_LIFETIME: durationSeconds(60).default(90 * 86_400),
  REFRESH_REUSE_GRACE_SECONDS: integer(0, 300).default(10),
  SECURITY_EVENT_RETENTION: durationSeconds(3600).default(90 * 86_400),
  // Password hashing (README, "Password hashing"): auto = native @node-rs/argon2 when it loads, else hash-wasm.
  PASSWORD_HASHER: z.enum(["auto", "native", "wasm"], { error: "must be auto, native or wasm" }).default("auto"),
  // Unset: one per core (src/password/index.ts), which config.ts, being pure, does not know.
  PASSWORD_HASH_WORKERS: integer(1, 64).optional(),
  PASSWORD_HASH_MAX_QUEUE: integer(1, 100_000).default(64),
  // Shortest new password, in code points. NIST SP 800-63B rev. 4: at least 15 for a password used
  // alone, 8 where a second factor is required; 8 keeps the original contract (README, "Passwords").
  PASSWORD_MIN_LENGTH: integer(8, 256).default(8),
  // Password jobs one client (a user id or an address) may have running or queued at once (src/password/pool.ts).
  PASSWORD_HASH_MAX_PER_CLIENT: integer(1, 10_000).default(4),
  BODY_LIMIT_BYTES: integer(256, 1_048_576).default(16_384),
  // Slow clients (README, "Security limits"): the listener's own deadlines and connection cap, so a
  // client that drips its headers or body, or holds a connection idle, is cut off. At most 255 s:
  // Bun refuses a longer idle timeout.
  HTTP_HEADERS_TIMEOUT: durationSeconds(1).pipe(z.number().max(255, "must be at most 255 seconds")).default(10),
  HTTP_REQUEST_TIMEOUT: durationSeconds(1).pipe(z.number().max(255, "must be at most 255 seconds")).default(30),
  HTTP_KEEP_ALIVE_TIMEOUT: durationSeconds(1).pipe(z.number().max(255, "must be at most 255 seconds")).default(5),
  HTTP_MAX_CONNECTIONS: integer(1, 1_000_000).default(1000),
  TRUST_PROXY: integer(0, 16).default(0),
  CORS_ORIGINS: csv.default([]),
  // Per client IP (see README, "Abuse resistance", for why these numbers).
  RATE_LIMIT_REGISTER: countPerDuration(1_000_000).prefault("10/1h"),
  RATE_LIMIT_LOGIN: countPerDuration(1_000_000).prefault("20/10m"),
  RATE_LIMIT_REFRESH: countPerDuration(1_000_000).prefault("60/1m"),
  // POST /me/password and DELETE /me, which verify (and hash) a password: per client IP, and per user.
  RATE_LIMIT_PASSWORD_CONFIRM: countPerDuration(1_000_000).prefault("20/10m"),
  RATE_LIMIT_PASSWORD_CONFIRM_USER: countPerDuration(1_000_000).prefault("10/10m"),
  // The routes that check a second-factor code (the /me/mfa ones and POST /login/mfa).
  RATE_LIMIT_MFA: countPerDuration(1_000_000).prefault("20/10m"),
  RATE_LIMIT_MFA_USER: countPerDuration(1_000_000).prefault("10/10m"),
  // Per (account, source address): failed password checks allowed, and the quiet time after which they are forgotten.
  LOGIN_THROTTLE: countPerDuration(1_000).prefault("5/15m"),
  // Per account, from all addresses: the hard cap of consecutive failures (NIST SP 800-63B: at most 100).
  LOGIN_THROTTLE_ACCOUNT_CAP: countPerDuration(100).prefault("100/24h"),
  LOGIN_THROTTLE_BACKOFF: durationSeconds(1).pipe(z.number().max(86_400, "must be at most 1d")).default(30),
  LOGIN_THROTTLE_MAX_BACKOFF: durationSeconds(1).pipe(z.number().max(86_400, "must be at most 1d")).default(15 * 60),
  // Mail and the email flows (README, "Email: verification, password reset, address change").
  SMTP_URL: url(["smtp:", "smtps:"]).optional(),
  MAIL_FROM: z.string().trim().min(1).default("auth-service <no-reply@localhost>"),
  MAIL_PRODUCT_NAME: z.string().trim().min(1).default("auth-service"),
  MAIL_TEMPLATES_DIR: z.string().trim().min(1).optional(),
  // Messages not sent within this long are dropped: keep it no longer than the shortest token lifetime.
  MAIL_MAX_AGE: durationSeconds(60).default(30 * 60),
  APP_URL: url(["http:", "https:"]).default("http://localhost:3000"),
  EMAIL_VERIFY_PATH: linkPath.default("/verify-email"),
  PASSWORD_RESET_PATH: linkPath.default("/reset-password"),
  EMAIL_CHANGE_PATH: linkPath.default("/confirm-email"),
  EMAIL_VERIFICATION_TOKEN_TTL: durationSeconds(60).default(24 * 3600),
  PASSWORD_RESET_TOKEN_TTL: durationSeconds(60).default(30 * 60),
  EMAIL_CHANGE_TOKEN_TTL: durationSeconds(60).default(3600),
  REQUIRE_EMAIL_VERIFICATION: flag.default(false),
  // Mail-sending routes: per client IP, and per recipient address whoever asks.
  RATE_LIMIT_MAIL: countPerDuration(1_000_000).prefault("20/1h"),
  MAIL_LIMIT_PER_ADDRESS: countPerDuration(1_000).prefault("3/1h"),
  // The hosted pages' branding (README, "Hosted pages"): product name, logo file, accent colour.
  PAGES_PRODUCT_NAME: z.string().trim().min(1).max(100, "must be at most 100 characters").optional(),
  PAGES_LOGO_FILE: z.string().trim().min(1).optional(),
  PAGES_ACCENT_COLOR: z
    .string()
    .trim()
    .regex(/^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i, "must be a hex colour, #rgb or #rrggbb")
    .transform((colour) => colour.toLowerCase())
    .default(DEFAULT_ACCENT_COLOR),
  // GET /doc (the OpenAPI document) and /ui (Swagger UI); off: both answer 404.
  DOCS_ENABLED: flag.default(true),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Observability (README, "Operations: logs, metrics, tracing").
  LOG_FORMAT: z.enum(["pretty", "json"], { error: "must be pretty or json" }).optional(),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  METRICS_PORT: integer(0, 65_535).optional(),
  OTEL_SDK_DISABLED: flag.default(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(["http:", "https:"]).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(["http:", "https:"]).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders.optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).default("auth-service"),
  SHUTDOWN_TIMEOUT: durationSeconds(0).default(10),
});

type ParsedEnv = z.infer<typeof envSchema>;

const MIN_SECRET_BYTES = 32;

export interface LoadConfigOptions {
  /**
   * False for tools that never sign a token (the migration CLI): production does not then demand
   * a signing secret they would not use.
   */
  requireSigningKey?: boolean;
}

/**
 * The environment schema and, in one transform, the shape the code reads: each variable is mapped
 * exactly once, here, and `Config` is inferred from the result, so there is no second declaration
 * to keep in step. Checks across variables add an issue on the variable at fault, which
 * `loadConfig` turns into a `ConfigError` naming it.
 */
function configSchema(options: LoadConfigOptions) {
  return envSchema.transform((env, ctx) => {
    const fail = (variable: keyof ParsedEnv, message: string) => {
      ctx.addIssue({ code: "custom", path: [variable], message });
      return z.NEVER;
    };
    if (env.SESSION_MAX_LIFETIME < env.REFRESH_TOKEN_TTL) return fail("SESSION_MAX_LIFETIME", "must not be shorter than REFRESH_TOKEN_TTL");
    if (env.LOGIN_THROTTLE_MAX_BACKOFF < env.LOGIN_THROTTLE_BACKOFF) {
      return fail("LOGIN_THROTTLE_MAX_BACKOFF", "must not be shorter than LOGIN_THROTTLE_BACKOFF");
    }
    if (env.LOGIN_THROTTLE && !env.LOGIN_THROTTLE_ACCOUNT_CAP) {
      return fail("LOGIN_THROTTLE_ACCOUNT_CAP", "cannot be off while LOGIN_THROTTLE is on (NIST SP 800-63B asks for a cap of at most 100)");
    }
    if (env.LOGIN_THROTTLE && env.LOGIN_THROTTLE_ACCOUNT_CAP && env.LOGIN_THROTTLE_ACCOUNT_CAP.limit < env.LOGIN_THROTTLE.limit) {
      return fail("LOGIN_THROTTLE_ACCOUNT_CAP", "must allow at least as many failures as LOGIN_THROTTLE");
    }
    // Node refuses a header deadline past the whole request's (and it would mean nothing).
    if (env.HTTP_HEADERS_TIMEOUT > env.HTTP_REQUEST_TIMEOUT) return fail("HTTP_HEADERS_TIMEOUT", "must not be longer than HTTP_REQUEST_TIMEOUT");
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      return fail("METRICS_PORT", "must differ from PORT (unset it to serve /metrics on PORT)");
    }
    const signing = options.requireSigningKey === false ? ({ kind: "development-key" } as const) : resolveSigning(env, fail);
    const redisCluster = resolveRedisCluster(env, fail);
    const issuer = resolveIssuer(env, fail, options.requireSigningKey !== false);
    const redisBase = { keyPrefix: env.REDIS_KEY_PREFIX };

    return {
      env: env.NODE_ENV,
      host: env.HOST,
      port: env.PORT,
      dataDir: env.DATA_DIR,
      database: { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, migrateOnStart: env.MIGRATE_ON_START },
      /** One Redis (`url`) or a Redis Cluster (`cluster`), never both; absent: no Redis. */
      redis: env.REDIS_URL
        ? { ...redisBase, url: env.REDIS_URL, cluster: undefined }
        : redisCluster && { ...redisBase, url: undefined, cluster: redisCluster },
      /**
       * `issuer`: the public base URL, no trailing slash: `iss` of tokens, the RFC 8414 metadata's
       * `issuer`, the OpenAPI `servers` entry and the base of problem `type` URIs.
       * `clientId`: the `client_id` claim (RFC 9068 §2.2) of every access token; one first-party
       * client until OAuth clients exist.
       */
      jwt: {
        signing,
        issuer,
        audience: env.JWT_AUDIENCE,
        clientId: env.JWT_CLIENT_ID,
        clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE,
      },
      /**
       * The key that seals TOTP secrets: `configured` (MFA_ENCRYPTION_KEY); `development-key` (made
       * once under DATA_DIR, outside production); `none` in production without it: the service
       * starts, and enrolling a second factor answers 503 MFA_NOT_CONFIGURED.
       */
      mfa: {
        encryptionKey: env.MFA_ENCRYPTION_KEY
          ? ({ kind: "configured", key: env.MFA_ENCRYPTION_KEY } as const)
          : env.NODE_ENV === "production"
            ? ({ kind: "none" } as const)
            : ({ kind: "development-key" } as const),
        /** The `issuer` of otpauth:// URIs: the name an authenticator app shows. */
        issuer: env.MAIL_PRODUCT_NAME,
      },
      webauthn: resolveWebAuthn(env, fail, issuer),
      tokens: {
        accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL,
        refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL,
        sessionMaxLifetimeSeconds: env.SESSION_MAX_LIFETIME,
        refreshReuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
      },
      securityEvents: { retentionSeconds: env.SECURITY_EVENT_RETENTION },
      /** `workers`: hashes at once (threads, or native hashes in flight); absent: one per core. */
      passwords: { minLength: env.PASSWORD_MIN_LENGTH },
      passwordHashing: {
        hasher: env.PASSWORD_HASHER,
        workers: env.PASSWORD_HASH_WORKERS,
        maxQueue: env.PASSWORD_HASH_MAX_QUEUE,
        maxPerClient: env.PASSWORD_HASH_MAX_PER_CLIENT,
      },
      http: {
        bodyLimitBytes: env.BODY_LIMIT_BYTES,
        trustProxyHops: env.TRUST_PROXY,
        corsOrigins: env.CORS_ORIGINS,
        shutdownTimeoutSeconds: env.SHUTDOWN_TIMEOUT,
        /**
         * The listener's limits against slow clients (applied by src/node.ts and src/bun.ts; Bun
         * honours only some of them, see bun.ts): the request's headers must arrive within
         * `headersTimeoutSeconds` and the whole request within `requestTimeoutSeconds`; an idle
         * keep-alive connection is closed after `keepAliveTimeoutSeconds`; beyond
         * `maxConnections` open connections, new ones are closed at once.
         */
        headersTimeoutSeconds: env.HTTP_HEADERS_TIMEOUT,
        requestTimeoutSeconds: env.HTTP_REQUEST_TIMEOUT,
        keepAliveTimeoutSeconds: env.HTTP_KEEP_ALIVE_TIMEOUT,
        maxConnections: env.HTTP_MAX_CONNECTIONS,
      },
      /** Per client IP; null = off. */
      rateLimits: {
        register: env.RATE_LIMIT_REGISTER,
        login: env.RATE_LIMIT_LOGIN,
        refresh: env.RATE_LIMIT_REFRESH,
        passwordConfirm: env.RATE_LIMIT_PASSWORD_CONFIRM,
        mfa: env.RATE_LIMIT_MFA,
        mail: env.RATE_LIMIT_MAIL,
      },
      /** Per authenticated user; null = off. */
      userRateLimits: { passwordConfirm: env.RATE_LIMIT_PASSWORD_CONFIRM_USER, mfa: env.RATE_LIMIT_MFA_USER },
      mail: resolveMail(env),
      /** The email flows' rules (src/recovery/). */
      emailFlows: {
        requireVerification: env.REQUIRE_EMAIL_VERIFICATION,
        tokenTtlSeconds: {
          emailVerification: env.EMAIL_VERIFICATION_TOKEN_TTL,
          passwordReset: env.PASSWORD_RESET_TOKEN_TTL,
          emailChange: env.EMAIL_CHANGE_TOKEN_TTL,
        },
        /** Messages per recipient address and window, whoever asks; null = off. */
        perAddressLimit: env.MAIL_LIMIT_PER_ADDRESS,
      },
      /** Failed password checks per (account, source) and per account (src/login-throttle/); null = off. */
      loginThrottle: env.LOGIN_THROTTLE && {
        maxFailures: env.LOGIN_THROTTLE.limit,
        windowSeconds: env.LOGIN_THROTTLE.windowSeconds,
        baseBackoffSeconds: env.LOGIN_THROTTLE_BACKOFF,
        maxBackoffSeconds: env.LOGIN_THROTTLE_MAX_BACKOFF,
        accountMaxFailures: env.LOGIN_THROTTLE_ACCOUNT_CAP!.limit,
        accountWindowSeconds: env.LOGIN_THROTTLE_ACCOUNT_CAP!.windowSeconds,
      },
      /**
       * The hosted pages' branding. `logoFile` is only a path: src/pages/branding.ts reads it (once,
       * at the start, so a missing or unsupported file fails the start like a bad variable).
       */
      pages: { productName: env.PAGES_PRODUCT_NAME ?? env.MAIL_PRODUCT_NAME, logoFile: env.PAGES_LOGO_FILE, accentColor: env.PAGES_ACCENT_COLOR },
      /** `enabled`: /doc and /ui (and its assets) are served; otherwise they are 404s like any unknown path. */
      docs: { enabled: env.DOCS_ENABLED },
      logLevel: env.LOG_LEVEL,
      /** Absent: pretty in development on a terminal, JSON otherwise (src/observability/logger.ts). */
      logFormat: env.LOG_FORMAT,
      /** `token`: /metrics needs it as a bearer token; `port`: /metrics is served there, not on `port`. */
      metrics: { token: env.METRICS_TOKEN, port: env.METRICS_PORT },
      /** OTLP/HTTP trace export; absent: no tracing at all. */
      tracing: resolveTracing(env),
    };
  });
}

export type Config = z.output<ReturnType<typeof configSchema>>;
/** `limit` requests per `windowSeconds` from one client; null = off. */
export type RateLimitRule = NonNullable<Config["rateLimits"]["login"]>;
export type SigningConfig = Config["jwt"]["signing"];
export type RedisClusterConfig = NonNullable<Config["redis"]>["cluster"] & {};

type Fail = (variable: keyof ParsedEnv, message: string) => never;

export function loadConfig(env: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  // An empty variable means "not set", as in most .env tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = configSchema(options).safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? "environment"), issue.message);
  }
  return result.data;
}

/** A Redis Cluster: seed nodes (the client discovers the rest from them) and how to reach every node. */
function resolveRedisCluster(parsed: ParsedEnv, fail: Fail) {
  if (!parsed.REDIS_CLUSTER_NODES) {
    // Credentials or TLS meant for a cluster that is not configured: say so rather than ignore them.
    for (const variable of ["REDIS_CLUSTER_USERNAME", "REDIS_CLUSTER_PASSWORD"] as const) {
      if (parsed[variable] !== undefined) fail(variable, "applies only with REDIS_CLUSTER_NODES");
    }
    if (parsed.REDIS_CLUSTER_TLS) fail("REDIS_CLUSTER_TLS", "applies only with REDIS_CLUSTER_NODES");
    return undefined;
  }
  if (parsed.REDIS_URL !== undefined) fail("REDIS_CLUSTER_NODES", "set either REDIS_URL or REDIS_CLUSTER_NODES, not both");
  return {
    nodes: parsed.REDIS_CLUSTER_NODES,
    username: parsed.REDIS_CLUSTER_USERNAME,
    password: parsed.REDIS_CLUSTER_PASSWORD,
    tls: parsed.REDIS_CLUSTER_TLS ?? false,
  };
}

/**
 * How mail leaves: SMTP when SMTP_URL is set; otherwise, outside production, `.eml` files in
 * `DATA_DIR/outbox` (so the embedded default works end to end); in production without SMTP_URL,
 * nowhere: the service starts and the mail-sending routes answer 503 MAIL_NOT_CONFIGURED.
 */
function resolveMail(parsed: ParsedEnv) {
  const transport = parsed.SMTP_URL
    ? ({ kind: "smtp", url: parsed.SMTP_URL } as const)
    : parsed.NODE_ENV === "production"
      ? ({ kind: "none" } as const)
      : ({ kind: "outbox-directory", dir: join(parsed.DATA_DIR, "outbox") } as const);
  return {
    transport,
    from: parsed.MAIL_FROM,
    productName: parsed.MAIL_PRODUCT_NAME,
    templatesDir: parsed.MAIL_TEMPLATES_DIR,
    appUrl: parsed.APP_URL,
    linkPaths: { "verify-email": parsed.EMAIL_VERIFY_PATH, "reset-password": parsed.PASSWORD_RESET_PATH, "confirm-email-change": parsed.EMAIL_CHANGE_PATH },
    maxAgeSeconds: parsed.MAIL_MAX_AGE,
  };
}

/**
 * OTLP/HTTP as the OpenTelemetry spec reads these variables: the signal's own endpoint is used as
 * it is, the general one gets `/v1/traces` appended.
 */
function resolveTracing(parsed: ParsedEnv): { tracesUrl: string; serviceName: string; headers: Record<string, string> } | undefined {
  if (parsed.OTEL_SDK_DISABLED) return undefined;
  const general = parsed.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl = parsed.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (general && `${general.replace(/\/+$/, "")}/v1/traces`);
  if (!tracesUrl) return undefined;
  return { tracesUrl, serviceName: parsed.OTEL_SERVICE_NAME, headers: parsed.OTEL_EXPORTER_OTLP_HEADERS ?? {} };
}

/** Hosts an http issuer may name: the machine itself, where nothing travels over a network. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost") || /^127(?:\.\d{1,3}){3}$/.test(hostname) || hostname === "[::1]";
}

/**
 * The issuer identifier (RFC 8414 §2): a URL without query or fragment; in production an https
 * one (http only for a loopback host, where nothing crosses a network). Unset, it is the development URL http://localhost:PORT,
 * which production does not accept: verifiers find our keys from this URL.
 */
function resolveIssuer(parsed: ParsedEnv, fail: Fail, required: boolean): string {
  const text = parsed.JWT_ISSUER;
  if (text === undefined) {
    if (parsed.NODE_ENV === "production" && required) return fail("JWT_ISSUER", "production needs JWT_ISSUER, the public https URL of this service");
    return `http://localhost:${parsed.PORT}`;
  }
  const url = new URL(text);
  if (url.search !== "" || url.hash !== "" || text.includes("?") || text.includes("#")) return fail("JWT_ISSUER", "must be a URL without query or fragment");
  if (url.username !== "" || url.password !== "") return fail("JWT_ISSUER", "must not contain credentials");
  if (parsed.NODE_ENV === "production" && url.protocol !== "https:" && !isLoopbackHost(url.hostname)) {
    return fail("JWT_ISSUER", "must be an https URL in production (http only for localhost or a loopback address)");
  }
  return text.replace(/\/+$/, "");
}

/**
 * The WebAuthn relying party of passkeys (src/passkeys/): `rpId` (the domain passkeys are bound to),
 * `rpName` (what the authenticator shows) and `origins` (the pages allowed to run a ceremony, as
 * clientDataJSON reports them). Unset, the RP ID is JWT_ISSUER's host name and the one origin is
 * JWT_ISSUER's (so in development, with nothing set, `localhost` and http://localhost:PORT work). Each
 * origin's host must be the RP ID or a subdomain of it, and in production https (http only on loopback,
 * which browsers treat as secure), or browsers would refuse every ceremony: a bad value fails the start.
 */
function resolveWebAuthn(parsed: ParsedEnv, fail: Fail, issuer: string): { rpId: string; rpName: string; origins: string[] } {
  // A JWT_ISSUER refused above has already added its issue; nothing to derive from it.
  if (typeof issuer !== "string" || !URL.canParse(issuer)) return z.NEVER;
  const issuerUrl = new URL(issuer);
  const rpId = parsed.WEBAUTHN_RP_ID ?? issuerUrl.hostname;
  const origins = parsed.WEBAUTHN_ORIGINS ?? [issuerUrl.origin];
  for (const origin of origins) {
    const { hostname, protocol } = new URL(origin);
    if (hostname !== rpId && !hostname.endsWith(`.${rpId}`)) {
      return fail("WEBAUTHN_ORIGINS", `${origin} is not on the RP ID ${rpId} (WEBAUTHN_RP_ID) or a subdomain of it`);
    }
    if (parsed.NODE_ENV === "production" && protocol !== "https:" && !isLoopbackHost(hostname)) {
      return fail("WEBAUTHN_ORIGINS", `${origin} must be https in production (http only for localhost)`);
    }
  }
  return { rpId, rpName: parsed.WEBAUTHN_RP_NAME ?? parsed.MAIL_PRODUCT_NAME, origins };
}

/**
 * Words that the placeholders shipped in this repository (.env.example, deploy/secret.example.yaml,
 * .ci/run) and their like contain: a secret copied from an example is public, whatever its length.
 */
const PLACEHOLDER_MARKERS = ["change-me", "changeme", "replace-with", "placeholder", "example", "your-secret", "secret-of"];

/**
 * An estimate of a secret's entropy: its length times the Shannon entropy of its own characters.
 * It over-estimates structured secrets (a sentence) but gives 0 to 32 x "a" or 40 spaces and
 * ~1 bit a character to "abab...", and a random base64 or hex secret of 32 characters or more
 * scores well above the bar. 96 bits keeps `openssl rand -hex 16` (128 real bits, ~118 estimated)
 * acceptable while refusing keyboard runs and repeated words.
 */
const MIN_SECRET_ENTROPY_BITS = 96;

function estimatedEntropyBits(secret: string): number {
  const characters = [...secret];
  const counts = new Map<string, number>();
  for (const character of characters) counts.set(character, (counts.get(character) ?? 0) + 1);
  let perCharacter = 0;
  for (const count of counts.values()) {
    const p = count / characters.length;
    perCharacter -= p * Math.log2(p);
  }
  return perCharacter * characters.length;
}

/** A short unit said again and again ("password" x 5): its characters vary, its content does not. */
function isRepetition(secret: string): boolean {
  const characters = [...secret];
  for (let period = 1; period <= characters.length / 2; period++) {
    if (characters.every((character, i) => character === characters[i % period])) return true;
  }
  return false;
}

/** Why production must refuse this HS256 secret, or null. */
function secretWeakness(secret: string): string | null {
  const lower = secret.toLowerCase();
  if (PLACEHOLDER_MARKERS.some((marker) => lower.includes(marker))) return "is a placeholder from an example, not a secret";
  if (estimatedEntropyBits(secret) < MIN_SECRET_ENTROPY_BITS || isRepetition(secret)) {
    return "has too little entropy (repeated or too few distinct characters)";
  }
  return null;
}

type Signing =
  | { kind: "hmac"; secret: string }
  | { kind: "asymmetric"; privateJwks: NonNullable<ParsedEnv["JWT_PRIVATE_KEYS"]> }
  | { kind: "development-key" };

function resolveSigning(parsed: ParsedEnv, fail: Fail): Signing {
  if (parsed.JWT_SECRET !== undefined && parsed.JWT_PRIVATE_KEYS !== undefined) {
    return fail("JWT_SECRET", "set either JWT_SECRET or JWT_PRIVATE_KEYS, not both");
  }
  if (parsed.JWT_PRIVATE_KEYS !== undefined) return { kind: "asymmetric", privateJwks: parsed.JWT_PRIVATE_KEYS };
  if (parsed.JWT_SECRET !== undefined) {
    // HS256 keys shorter than the hash output make brute force of the key practical (RFC 7518 §3.2).
    if (new TextEncoder().encode(parsed.JWT_SECRET).length < MIN_SECRET_BYTES) {
      return fail("JWT_SECRET", `must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    if (parsed.NODE_ENV === "production") {
      const weakness = secretWeakness(parsed.JWT_SECRET);
      if (weakness) return fail("JWT_SECRET", `${weakness}; make one with \`openssl rand -base64 32\``);
    }
    return { kind: "hmac", secret: parsed.JWT_SECRET };
  }
  if (parsed.NODE_ENV === "production") return fail("JWT_SECRET", "production needs JWT_SECRET (32+ bytes) or JWT_PRIVATE_KEYS");
  return { kind: "development-key" };
}
