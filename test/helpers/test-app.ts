import { serve } from "@hono/node-server";
import type { AddressInfo, Server } from "node:net";
import type { Context } from "hono";
import type { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import { createApp, type App } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config.js";
import { compose, type ComposeOptions } from "../../src/compose.js";
import { openMail } from "../../src/bootstrap.js";
import { createSigningKeys, generateSigningJwk, type AccessTokens, type SigningKeys } from "../../src/tokens/jwt.js";
import { createArgon2idHasher, type PasswordHasher } from "../../src/password/hasher.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import type { AppDeps } from "../../src/deps.js";
import type { TracingDeps } from "../../src/observability/tracing.js";
import type { SessionStore } from "../../src/sessions/store.js";
import { generateMfaEncryptionKey } from "../../src/mfa/secret-box.js";
import { createTestPglite, createTestPostgres, createTestRedis } from "./backends.js";
import { FAST_ARGON2_PARAMS } from "./hashers.js";

export type BackendName = "pglite" | "postgres" | "postgres+redis";

/** Argon2id at toy cost (its home is hashers.ts; exported here too for the app tests that inject a hasher). */
export { FAST_ARGON2_PARAMS } from "./hashers.js";

import { createTestClock, type TestClock } from "./test-clock.js";

export { createTestClock, resetTestClocks, type TestClock } from "./test-clock.js";

export interface TestAppOptions {
  backend?: BackendName;
  env?: Record<string, string>;
  hasher?: PasswordHasher;
  logger?: Logger;
  /** The peer address the runtime would report; 127.0.0.1 by default. */
  remoteAddress?: (c: Context) => string | undefined;
  /** A tracer (e.g. over an InMemorySpanExporter); absent: no tracing, as in production without OTLP. */
  tracing?: TracingDeps;
  /** The mail queue's timing; the default here retries within a fraction of a second. */
  mailQueue?: ComposeOptions["mailQueue"];
}

/**
 * Rate limits and login throttling far above what any test sends, so that they stay in the path of
 * every request without refusing one; the security tests set their own.
 */
export const GENEROUS_LIMITS_ENV: Record<string, string> = {
  RATE_LIMIT_REGISTER: "1000000/1h",
  RATE_LIMIT_LOGIN: "1000000/1h",
  RATE_LIMIT_REFRESH: "1000000/1h",
  RATE_LIMIT_PASSWORD_CONFIRM: "1000000/1h",
  RATE_LIMIT_PASSWORD_CONFIRM_USER: "1000000/1h",
  RATE_LIMIT_MFA: "1000000/1h",
  RATE_LIMIT_MFA_USER: "1000000/1h",
  LOGIN_THROTTLE: "100/15m",
  LOGIN_THROTTLE_ACCOUNT_CAP: "100/15m",
  RATE_LIMIT_MAIL: "1000000/1h",
  MAIL_LIMIT_PER_ADDRESS: "1000/1h",
};

export interface TestApp {
  app: App;
  config: Config;
  clock: TestClock;
  database: DatabaseHandle;
  sessions: SessionStore;
  signingKeys: SigningKeys;
  accessTokens: AccessTokens;
  deps: AppDeps;
  /** The Redis client and this app's key prefix, for the postgres+redis backend. */
  redis?: { client: Redis; keyPrefix: string };
  cleanup(): Promise<void>;
}

/**
 * A whole app over real storage (a fresh PGlite, a fresh PostgreSQL database, a fresh Redis prefix),
 * wired by the production composition root (src/compose.ts): the test chooses the handles and the
 * options (a fast hasher, a movable clock, the peer address), never the wiring.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const backend = options.backend ?? "pglite";
  const cleanups: Array<() => Promise<void>> = [];

  const db = backend === "pglite" ? await createTestPglite() : await createTestPostgres();
  cleanups.push(db.cleanup);
  let redisInfo: TestApp["redis"];
  let redisEnv: Record<string, string> = {};
  if (backend === "postgres+redis") {
    const redis = await createTestRedis();
    cleanups.push(redis.cleanup);
    redisInfo = { client: redis.value, keyPrefix: redis.keyPrefix };
    redisEnv = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix };
  }
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", ...GENEROUS_LIMITS_ENV, ...redisEnv, ...options.env });

  // The keys the env names (JWT_PRIVATE_KEYS, JWT_SECRET), else a fresh Ed25519 key, as the development key would be.
  const signingKeys = await createSigningKeys(config.jwt.signing, generateSigningJwk);
  const clock = createTestClock();
  const logger = options.logger ?? pino({ level: "silent" });
  // Mail as configured by the test's env: SMTP_URL for the mail tests; without it (NODE_ENV=test),
  // the outbox directory under DATA_DIR, which only a test that sends mail ever creates.
  const mail = await openMail(config, logger);
  // The key the env names, else a fresh one as the development key would be; none in production without it.
  const { encryptionKey } = config.mfa;
  const mfaEncryptionKey = encryptionKey.kind === "configured" ? encryptionKey.key : encryptionKey.kind === "development-key" ? generateMfaEncryptionKey() : undefined;
  const { deps } = compose(
    config,
    { database: db.value, redis: redisInfo?.client, hasher: options.hasher ?? createArgon2idHasher(FAST_ARGON2_PARAMS), signingKeys, ...mail, ...(mfaEncryptionKey && { mfaEncryptionKey }) },
    {
      logger,
      clock,
      remoteAddress: options.remoteAddress ?? (() => "127.0.0.1"),
      ...(options.tracing && { tracing: options.tracing }),
      mailQueue: options.mailQueue ?? { retryBaseSeconds: 0.2, retryMaxSeconds: 1, pollIntervalSeconds: 0.5 },
    },
  );
  deps.mailQueue.start();
  cleanups.push(async () => {
    await deps.mailQueue.stop();
    await mail.mailer.close();
  });
  return {
    app: createApp(deps),
    config,
    clock,
    database: db.value,
    sessions: deps.sessions,
    signingKeys,
    accessTokens: deps.accessTokens,
    deps,
    redis: redisInfo,
    async cleanup() {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestOptions {
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
  token?: string;
}

/** One client for both transports: in-process `app.request`, or fetch against a real listener. */
export interface TestClient {
  transport: "in-process" | "http";
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

function buildInit(method: string, options: RequestOptions = {}): RequestInit {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["content-type"] ??= "application/json";
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return { method, headers, ...(body !== undefined && { body }) };
}

async function toTestResponse(response: Response): Promise<TestResponse> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body, text };
}

export function inProcessClient(app: App): TestClient {
  return {
    transport: "in-process",
    async request(method, path, options) {
      return toTestResponse(await app.request(path, buildInit(method, options)));
    },
    async close() {},
  };
}

export interface Listener {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  close(): Promise<void>;
}

/** Serves `fetch` (an app's, or any Web-standard handler) with a real @hono/node-server listener on an ephemeral port of 127.0.0.1. */
export async function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<Listener> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started));
  });
  return listenerOf(server);
}

/**
 * The Listener of a node:http (or http2) server already listening on 127.0.0.1, whatever framework
 * serves it; `close` also ends its keep-alive connections, so it does not wait for them to idle out.
 */
export function listenerOf(server: Server & { closeAllConnections?(): void }): Listener {
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

/** A real @hono/node-server listener on an ephemeral port. */
export async function httpClient(app: App): Promise<TestClient> {
  const listener = await listen(app.fetch);
  return {
    transport: "http",
    async request(method, path, options) {
      return toTestResponse(await fetch(`${listener.baseUrl}${path}`, buildInit(method, options)));
    },
    close: listener.close,
  };
}
