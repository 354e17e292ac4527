import autocannon from "autocannon";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeJwt, exportJWK, generateKeyPair } from "jose";
import { loadConfig } from "../src/config.js";
import { toBase64Url, randomBytes } from "../src/lib/encoding.js";
import { createAccessTokensFromConfig, generateSigningJwk, type PrivateSigningJwk } from "../src/tokens/jwt.js";
import { createRefreshToken, hashRefreshToken } from "../src/sessions/refresh-tokens.js";
import { createPostgresDatabase, type DatabaseHandle } from "../src/db/database.js";
import { createPasswordHasher } from "../src/password/index.js";
import { createRedisSessionStore } from "../src/sessions/redis-store.js";
import type { SessionStore } from "../src/sessions/store.js";
import { createSqlSessionStore } from "../src/sessions/sql-store.js";
import { createFreshDatabase, createFreshRedisPrefix, type FreshDatabase, type FreshRedisPrefix } from "./lib/backends.js";
import { isBun, isEntrypoint, loadBenchOptions, runtimeName, type BenchOptions } from "./lib/options.js";
import { signingKeysFromConfig } from "./lib/keys.js";
import { freePort, startChildServer } from "./lib/processes.js";
import { formatNumber, formatRatio, median, percentileOfSorted, Samples } from "./lib/stats.js";

/**
 * The HTTP load run: the real service as a child process (`node dist/node.js`, or `bun src/bun.ts`
 * under Bun) over a fresh PostgreSQL database and a fresh Redis key prefix, and, in a second child
 * process on the same runtime and adapter, the yardsticks (bench/yardstick-server.ts). autocannon
 * drives both from this process, so the load generator shares the machine's cores with the servers.
 *
 * Scenarios: the two yardsticks (bare route, verify-only route); GET /me with the users' reused
 * tokens and with a never-seen token per request; POST /refresh (each response's successor token
 * feeds a later request); POST /logout (sessions minted beforehand, one per request); POST /login
 * (and, when the service runs the native hasher, the same against a second service with
 * PASSWORD_HASHER=wasm); POST /register (a new email per request); GET /me while logins saturate the
 * hasher (two autocannon instances at once).
 *
 * Each round runs every scenario once for BENCH_DURATION seconds; BENCH_RUNS rounds, medians
 * reported. Rounds interleave the scenarios so that drift (thermal, noisy neighbours) spreads over
 * all of them instead of landing on one, and ratios are taken between figures of the same run.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PASSWORD = "bench-password-correct-horse";
const JSON_HEADERS = { "content-type": "application/json" };

/** One measured autocannon run. Latencies are of 2xx responses, in milliseconds, full precision. */
export interface HttpRun {
  durationSeconds: number;
  requests: number;
  ok: number;
  /** 2xx responses per second: the throughput figure reported everywhere. */
  okPerSecond: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50Ms: number;
  p99Ms: number;
  statusCodes: Record<string, number>;
  /** Requests that found the pre-made pool (sessions, tokens) empty and reused a spent or seen one. */
  poolExhausted?: number;
}

export type SeriesKey =
  | "bare"
  | "verify"
  | "me"
  | "me-fresh"
  | "refresh"
  | "logout"
  | "login"
  | "login-wasm"
  | "register"
  | "me-under-login"
  | "login-under-me";

export interface SeriesSummary {
  key: SeriesKey;
  label: string;
  target: "service" | "yardstick";
  request: string;
  connections: number;
  runs: HttpRun[];
  /** Medians over the runs. */
  okPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Each median as a ratio to the same median of the yardsticks (throughput: higher is better). */
  ratios: {
    okPerSecondToBare: number;
    okPerSecondToVerify: number;
    p50ToBare: number;
    p50ToVerify: number;
    p99ToBare: number;
    p99ToVerify: number;
  };
  notes: string[];
}

export interface HttpReport {
  series: SeriesSummary[];
  service: { command: string; env: Record<string, string>; logPath: string };
  /** The password hasher the service runs, resolved as the service resolves it (PASSWORD_HASHER, PASSWORD_HASH_WORKERS). */
  hasher: { implementation: "native" | "wasm"; concurrency: number };
  yardstick: { command: string };
  backends: { postgres: string; redis: string; sessionStore: "redis" | "sql" };
  jwtAlgorithm: string;
  durationSeconds: number;
  runs: number;
  warmupSeconds: number;
  elapsedSeconds: number;
}

type Log = (line: string) => void;

interface LoadSpec {
  baseUrl: string;
  connections: number;
  requests: autocannon.Request[];
}

/** One autocannon run; latencies recorded per response, at full precision, for 2xx only. */
function load(spec: LoadSpec, seconds: number): Promise<HttpRun> {
  const latencies = new Samples();
  const statusCodes: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.baseUrl,
        connections: spec.connections,
        duration: seconds,
        pipelining: 1,
        timeout: 10,
        requests: spec.requests,
      },
      (error, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        const sorted = latencies.sorted();
        const ok = result["2xx"];
        resolve({
          durationSeconds: result.duration,
          requests: ok + result.non2xx,
          ok,
          okPerSecond: ok / result.duration,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          p50Ms: percentileOfSorted(sorted, 50),
          p99Ms: percentileOfSorted(sorted, 99),
          statusCodes,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { text };
  }
  return { status: response.status, json };
}

/**
 * Fresh sessions for /refresh and /logout, written straight into the store the service reads,
 * with the service's own store code: each logout consumes one, and minting tens of thousands
 * through /login (one Argon2id each, ~15/s) is out of the question.
 */
class SessionPool {
  private readonly tokens: string[] = [];
  created = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly userId: string,
    private readonly lifetimes: { idleTtlSeconds: number; maxLifetimeSeconds: number },
  ) {}

  get size(): number {
    return this.tokens.length;
  }

  take(): string | undefined {
    return this.tokens.pop();
  }

  async fill(count: number): Promise<void> {
    const BATCH = 256;
    while (this.tokens.length < count) {
      const batch = Math.min(BATCH, count - this.tokens.length);
      const made = await Promise.all(
        Array.from({ length: batch }, async () => {
          const id = crypto.randomUUID();
          const token = createRefreshToken(id);
          await this.store.create({
            id,
            userId: this.userId,
            tokenHash: await hashRefreshToken(token),
            userAgent: "bench",
            ip: "127.0.0.1",
            now: new Date(),
            ...this.lifetimes,
          });
          return token;
        }),
      );
      this.tokens.push(...made);
      this.created += made.length;
    }
  }
}

async function signingEnv(alg: BenchOptions["jwtAlgorithm"]): Promise<Record<string, string>> {
  switch (alg) {
    case "HS256":
      return { JWT_SECRET: toBase64Url(randomBytes(32)), JWT_PRIVATE_KEYS: "" };
    case "EdDSA":
      return { JWT_PRIVATE_KEYS: JSON.stringify([await generateSigningJwk()]), JWT_SECRET: "" };
    case "ES256": {
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), kid: "bench-es256" } as PrivateSigningJwk;
      return { JWT_PRIVATE_KEYS: JSON.stringify([jwk]), JWT_SECRET: "" };
    }
  }
}

/**
 * `tsc -p tsconfig.build.json`, so Node runs the service the way a container does: from dist/.
 * Bun runs src/bun.ts as it is. run.ts calls this before the microbenchmarks, so that a broken
 * build fails the run at once.
 */
export function buildServiceIfNeeded(options: BenchOptions, log: Log = (line) => console.log(line)): void {
  if (isBun || options.skipBuild) return;
  log("building dist/ (tsc -p tsconfig.build.json) ...");
  const result = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("the build failed; fix it or run with BENCH_SKIP_BUILD=1 against an existing dist/");
}

interface BenchUser {
  email: string;
  id: string;
  accessToken: string;
}

interface Scenario {
  /** Series measured by one run of this scenario. */
  series: Array<Pick<SeriesSummary, "key" | "label" | "target" | "request" | "connections">>;
  /** Hashing scenarios leave jobs queued when the load stops; give the hasher time to drain. */
  settleMs: number;
  run(seconds: number, measured: boolean): Promise<Partial<Record<SeriesKey, HttpRun>>>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runHttp(options: BenchOptions, log: Log = (line) => console.log(line)): Promise<HttpReport> {
  const started = performance.now();
  const cleanups: Array<() => Promise<void>> = [];
  let failed = false;
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        log(`cleanup step failed: ${(error as Error).message}`);
      }
    }
  };
  // Ctrl-C mid-run must not leave servers, a database or Redis keys behind.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    buildServiceIfNeeded(options, log);

    const workDir = await mkdtemp(join(tmpdir(), "auth-service-bench-"));
    // The servers' logs live here: kept when the run fails, so there is something to read.
    cleanups.push(async () => {
      if (failed) log(`the servers' logs are kept in ${workDir}`);
      else await rm(workDir, { recursive: true, force: true });
    });
    const database: FreshDatabase = await createFreshDatabase(options.adminDatabaseUrl);
    cleanups.push(() => database.cleanup());
    const redis: FreshRedisPrefix = await createFreshRedisPrefix(options.redisUrl);
    cleanups.push(() => redis.cleanup());

    const [servicePort, yardstickPort] = [await freePort(), await freePort()];
    const jwtEnv = await signingEnv(options.jwtAlgorithm);
    /** What the service is told besides its inherited environment (so PASSWORD_HASH_WORKERS=2 npm run bench works). */
    const serviceEnv: Record<string, string> = {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(servicePort),
      DATABASE_URL: database.url,
      REDIS_URL: options.sessionStore === "redis" ? options.redisUrl : "",
      REDIS_KEY_PREFIX: redis.keyPrefix,
      DATA_DIR: join(workDir, "data"),
      MIGRATE_ON_START: "true",
      LOG_LEVEL: options.serviceLogLevel,
      // Every request comes from 127.0.0.1, so the per-IP limits (10 registrations an hour...) would
      // answer 429 within a second. A limit no run can reach keeps the limiter's per-request cost in
      // the figures; BENCH_RATE_LIMITS=off measures without it.
      ...Object.fromEntries(
        ["RATE_LIMIT_REGISTER", "RATE_LIMIT_LOGIN", "RATE_LIMIT_REFRESH"].map((name) => [
          name,
          options.rateLimits === "off" ? "off" : "1000000/1s",
        ]),
      ),
      ...jwtEnv,
    };
    const config = loadConfig({ ...process.env, ...serviceEnv });

    const runtimeBin = process.execPath;
    const serviceArgs = isBun ? ["src/bun.ts"] : ["dist/node.js"];
    const yardstickArgs = isBun ? ["bench/yardstick-server.ts"] : ["--import", "tsx", "bench/yardstick-server.ts"];
    const service = await startChildServer({
      name: "auth-service",
      command: runtimeBin,
      args: serviceArgs,
      cwd: ROOT,
      env: { ...process.env, ...serviceEnv },
      port: servicePort,
      readyPath: "/readyz",
      logPath: join(workDir, "service.log"),
    });
    cleanups.push(() => service.stop());
    const yardstick = await startChildServer({
      name: "yardstick",
      command: runtimeBin,
      args: yardstickArgs,
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: String(yardstickPort),
        JWT_ISSUER: config.jwt.issuer,
        JWT_AUDIENCE: config.jwt.audience,
        ...jwtEnv,
      },
      port: yardstickPort,
      readyPath: "/bare",
      logPath: join(workDir, "yardstick.log"),
    });
    cleanups.push(() => yardstick.stop());
    log(`service   ${service.command} (pid ${service.pid}) at ${service.baseUrl}`);
    log(`yardstick ${yardstick.command} (pid ${yardstick.pid}) at ${yardstick.baseUrl}`);

    // Which hasher the service chose: built here by the same factory from the same config (and
    // closed again), since the service only says so in an info log line.
    const hashing = config.passwordHashing as { hasher?: "auto" | "native" | "wasm"; workers?: number; maxQueue: number };
    const probe = await createPasswordHasher({ implementation: hashing.hasher ?? "auto", concurrency: hashing.workers, maxQueue: 1 });
    await probe.hasher.close();
    const hasher = { implementation: probe.implementation, concurrency: probe.concurrency };
    log(`password hasher: ${hasher.implementation}, ${hasher.concurrency} at once`);

    // With the native hasher, the same service once more with PASSWORD_HASHER=wasm, for the
    // "native >= 4x hash-wasm" comparison on /login. It idles while the other scenarios run.
    let wasmService: Awaited<ReturnType<typeof startChildServer>> | undefined;
    if (hasher.implementation === "native") {
      const port = await freePort();
      wasmService = await startChildServer({
        name: "auth-service (PASSWORD_HASHER=wasm)",
        command: runtimeBin,
        args: serviceArgs,
        cwd: ROOT,
        env: { ...process.env, ...serviceEnv, PORT: String(port), PASSWORD_HASHER: "wasm", MIGRATE_ON_START: "false" },
        port,
        readyPath: "/readyz",
        logPath: join(workDir, "service-wasm.log"),
      });
      const stopWasm = wasmService;
      cleanups.push(() => stopWasm.stop());
      log(`service   ${wasmService.command} with PASSWORD_HASHER=wasm (pid ${wasmService.pid}) at ${wasmService.baseUrl}`);
    }

    // Users: registered and logged in through the API (one Argon2id hash + one verify each).
    const tag = `${Date.now().toString(36)}${crypto.randomUUID().slice(0, 4)}`;
    const emails = Array.from({ length: options.users }, (_, i) => `user-${tag}-${i}@bench.example.com`);
    const ids = await Promise.all(
      emails.map(async (email) => {
        const { status, json } = await postJson(`${service.baseUrl}/register`, { email, password: PASSWORD });
        if (status !== 201) throw new Error(`register answered ${status}: ${JSON.stringify(json)}`);
        return String(json.id);
      }),
    );
    const users: BenchUser[] = emails.map((email, i) => ({ email, id: ids[i]!, accessToken: "" }));
    let tokensIssuedAt = 0;
    const loginAll = async () => {
      await Promise.all(
        users.map(async (user) => {
          const { status, json } = await postJson(`${service.baseUrl}/login`, { email: user.email, password: PASSWORD });
          if (status !== 200) throw new Error(`login answered ${status}: ${JSON.stringify(json)}`);
          user.accessToken = String(json.access_token);
        }),
      );
      tokensIssuedAt = Date.now();
    };
    await loginAll();

    // The bench's own handle on the session store the service uses, to mint sessions in bulk.
    let sessionStore: SessionStore;
    if (options.sessionStore === "redis") {
      sessionStore = createRedisSessionStore({ client: redis.client, keyPrefix: redis.keyPrefix });
    } else {
      const handle: DatabaseHandle = await createPostgresDatabase({ url: database.url, poolSize: 4 });
      cleanups.push(() => handle.close());
      sessionStore = createSqlSessionStore({ db: handle.db });
    }
    const pool = new SessionPool(sessionStore, users[0]!.id, {
      idleTtlSeconds: config.tokens.refreshTokenTtlSeconds,
      maxLifetimeSeconds: config.tokens.sessionMaxLifetimeSeconds,
    });
    await pool.fill(options.connections * 4);
    /** A token already logged out: what a request gets if the pool runs dry (and is counted). */
    const spentToken = pool.take()!;
    await postJson(`${service.baseUrl}/logout`, { refresh_token: spentToken });

    const meRequests = (path: string): autocannon.Request[] =>
      users.map((user) => ({ method: "GET", path, headers: { authorization: `Bearer ${user.accessToken}` } }));
    // Logins go round-robin over the users from one shared counter, so the requests in flight at
    // any moment are for distinct accounts (users >= 2 x login connections): the per-account login
    // throttle counts attempts in flight and refuses a burst on one account, as it should.
    const loginBodies = users.map((user) => JSON.stringify({ email: user.email, password: PASSWORD }));
    let loginTurn = 0;
    const loginRequests = (): autocannon.Request[] => [
      {
        method: "POST",
        path: "/login",
        headers: JSON_HEADERS,
        setupRequest: (request) => ({ ...request, body: loginBodies[loginTurn++ % loginBodies.length] }),
      },
    ];

    const svc = (connections: number, requests: autocannon.Request[]): LoadSpec => ({
      baseUrl: service.baseUrl,
      connections,
      requests,
    });
    const c = options.connections;
    const hc = options.hashConnections;

    // Refresh: every request spends one token and gets its successor back. Successors go into a
    // shared queue that any connection may take from next (a connection has one request in flight,
    // so the queue never runs dry while responses come back); a failed request's chain is replaced
    // from the pool.
    const refreshReady: string[] = [];
    let refreshExhausted = 0;
    const refreshRequest: autocannon.Request = {
      method: "POST",
      path: "/refresh",
      headers: JSON_HEADERS,
      setupRequest: (request) => {
        let token = refreshReady.pop() ?? pool.take();
        if (!token) {
          refreshExhausted++;
          token = spentToken;
        }
        return { ...request, body: JSON.stringify({ refresh_token: token }) };
      },
      onResponse: (status, body) => {
        if (status !== 200) return;
        refreshReady.push(String((JSON.parse(body) as { refresh_token: string }).refresh_token));
      },
    };

    let logoutExhausted = 0;
    let logoutRate = 0;
    const logoutRequest: autocannon.Request = {
      method: "POST",
      path: "/logout",
      headers: JSON_HEADERS,
      setupRequest: (request) => {
        let token = pool.take();
        if (!token) {
          logoutExhausted++;
          token = spentToken;
        }
        return { ...request, body: JSON.stringify({ refresh_token: token }) };
      },
    };

    // /me as a client's first request with a new token: the service's verified-token cache (keyed by
    // the whole token) cannot help, so every request pays a full signature check. The tokens are
    // signed here with the service's own key, for the users' live sessions, as the service would.
    const minter = createAccessTokensFromConfig(config, await signingKeysFromConfig(config), { verifiedTokenCacheSize: 0 });
    const freshTokens = {
      tokens: [] as string[],
      minted: 0,
      exhausted: 0,
      async fill(count: number) {
        const subjects = users.map((user) => {
          const claims = decodeJwt(user.accessToken);
          return { userId: String(claims.sub), sessionId: String(claims.sid), roles: (claims.roles as string[] | undefined) ?? [] };
        });
        while (this.tokens.length < count) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(256, count - this.tokens.length) }, (_, i) =>
              minter.sign(subjects[(this.minted + i) % subjects.length]!, new Date()),
            ),
          );
          this.tokens.push(...batch);
          this.minted += batch.length;
        }
      },
    };
    const freshMeRequest: autocannon.Request = {
      method: "GET",
      path: "/me",
      setupRequest: (request) => {
        let token = freshTokens.tokens.pop();
        if (!token) {
          freshTokens.exhausted++;
          token = users[0]!.accessToken;
        }
        return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
      },
    };

    let registered = 0;
    const registerRequest: autocannon.Request = {
      method: "POST",
      path: "/register",
      headers: JSON_HEADERS,
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({ email: `new-${tag}-${registered++}@bench.example.com`, password: PASSWORD }),
      }),
    };

    let bareRate = 0;
    let verifyRate = 0;
    let meFreshRate = 0;
    let meRate = 0;
    let refreshRate = 0;
    const scenarios: Scenario[] = [
      {
        series: [{ key: "bare", label: "yardstick: bare Hono route", target: "yardstick", request: "GET /bare", connections: c }],
        settleMs: 250,
        async run(seconds, measured) {
          const run = await load({ baseUrl: yardstick.baseUrl, connections: c, requests: [{ method: "GET", path: "/bare" }] }, seconds);
          if (measured) bareRate = Math.max(bareRate, run.okPerSecond);
          return { bare: run };
        },
      },
      {
        series: [
          { key: "verify", label: "yardstick: verify access token only", target: "yardstick", request: "GET /verify", connections: c },
        ],
        settleMs: 250,
        async run(seconds, measured) {
          const run = await load({ baseUrl: yardstick.baseUrl, connections: c, requests: meRequests("/verify") }, seconds);
          if (measured) verifyRate = Math.max(verifyRate, run.okPerSecond);
          return { verify: run };
        },
      },
      {
        series: [{ key: "me", label: "GET /me", target: "service", request: "GET /me", connections: c }],
        settleMs: 250,
        async run(seconds, measured) {
          const run = await load(svc(c, meRequests("/me")), seconds);
          if (measured) meRate = Math.max(meRate, run.okPerSecond);
          return { me: run };
        },
      },
      {
        series: [
          { key: "me-fresh", label: "GET /me, a never-seen token each request", target: "service", request: "GET /me", connections: c },
        ],
        settleMs: 250,
        async run(seconds, measured) {
          // Cannot outrun the verify-only route (it does that and more): mint what that would use.
          const expected = Math.max(meFreshRate, verifyRate, 1_000);
          const t0 = performance.now();
          const before = freshTokens.minted;
          await freshTokens.fill(Math.ceil(expected * seconds * 1.5) + c);
          if (measured && freshTokens.minted > before) {
            log(`  (minted ${freshTokens.minted - before} access tokens for /me in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
          }
          freshTokens.exhausted = 0;
          const run = await load(svc(c, [freshMeRequest]), seconds);
          if (measured) meFreshRate = Math.max(meFreshRate, run.okPerSecond);
          return { "me-fresh": { ...run, poolExhausted: freshTokens.exhausted } };
        },
      },
      {
        series: [{ key: "refresh", label: "POST /refresh (rotation)", target: "service", request: "POST /refresh", connections: c }],
        settleMs: 250,
        async run(seconds, measured) {
          if (refreshReady.length < c) await pool.fill(c * 2);
          refreshExhausted = 0;
          const run = await load(svc(c, [refreshRequest]), seconds);
          if (measured) refreshRate = Math.max(refreshRate, run.okPerSecond);
          return { refresh: { ...run, poolExhausted: refreshExhausted } };
        },
      },
      {
        series: [{ key: "logout", label: "POST /logout", target: "service", request: "POST /logout", connections: c }],
        settleMs: 250,
        async run(seconds, measured) {
          // Each request needs a session of its own, minted before the clock starts: twice what the
          // fastest rate seen so far (of /logout, /me or /refresh, which precede it) would use.
          const expected = Math.max(logoutRate, meRate, refreshRate, 1_000);
          const t0 = performance.now();
          const before = pool.created;
          await pool.fill(Math.ceil(expected * seconds * 2) + c);
          if (measured && pool.created > before) {
            log(`  (minted ${pool.created - before} sessions for /logout in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
          }
          logoutExhausted = 0;
          const run = await load(svc(c, [logoutRequest]), seconds);
          if (measured) logoutRate = Math.max(logoutRate, run.okPerSecond);
          return { logout: { ...run, poolExhausted: logoutExhausted } };
        },
      },
      {
        series: [{ key: "login", label: "POST /login", target: "service", request: "POST /login", connections: hc }],
        settleMs: 1_000,
        async run(seconds, measured) {
          return { login: await load(svc(hc, loginRequests()), seconds) };
        },
      },
      ...(wasmService
        ? [
            {
              series: [
                {
                  key: "login-wasm" as const,
                  label: "POST /login, same service with PASSWORD_HASHER=wasm",
                  target: "service" as const,
                  request: "POST /login",
                  connections: hc,
                },
              ],
              settleMs: 1_000,
              async run(seconds: number) {
                return { "login-wasm": await load({ baseUrl: wasmService.baseUrl, connections: hc, requests: loginRequests() }, seconds) };
              },
            } satisfies Scenario,
          ]
        : []),
      {
        series: [{ key: "register", label: "POST /register", target: "service", request: "POST /register", connections: hc }],
        settleMs: 1_000,
        async run(seconds, measured) {
          return { register: await load(svc(hc, [registerRequest]), seconds) };
        },
      },
      {
        series: [
          { key: "me-under-login", label: "GET /me while logins saturate the hasher", target: "service", request: "GET /me", connections: c },
          { key: "login-under-me", label: "POST /login alongside that /me load", target: "service", request: "POST /login", connections: hc },
        ],
        settleMs: 1_000,
        async run(seconds, measured) {
          const [me, login] = await Promise.all([load(svc(c, meRequests("/me")), seconds), load(svc(hc, loginRequests()), seconds)]);
          return { "me-under-login": me, "login-under-me": login };
        },
      },
    ];

    // BENCH_ONLY=me,bare runs only the scenarios measuring those series (for investigating one figure).
    const selected = options.only.length === 0 ? scenarios : scenarios.filter((s) => s.series.some((x) => options.only.includes(x.key)));
    const collected = new Map<SeriesKey, HttpRun[]>();
    const seconds = options.durationSeconds;
    for (let round = 0; round < options.runs; round++) {
      // Access tokens live 15 minutes by default; a long custom run logs in again before they lapse.
      if (Date.now() - tokensIssuedAt > (config.tokens.accessTokenTtlSeconds * 1000) / 2) await loginAll();
      log(`round ${round + 1}/${options.runs} (${seconds} s per scenario${round === 0 && options.warmupSeconds > 0 ? `, ${options.warmupSeconds} s warm-up each` : ""})`);
      for (const scenario of selected) {
        if (round === 0 && options.warmupSeconds > 0) {
          await scenario.run(options.warmupSeconds, false);
          for (const server of [service, yardstick, wasmService]) server?.assertAlive();
          await sleep(scenario.settleMs);
        }
        const result = await scenario.run(seconds, true);
        // A server that died mid-run leaves only connection errors behind: stop, say why, write nothing.
        for (const server of [service, yardstick, wasmService]) server?.assertAlive();
        for (const [key, run] of Object.entries(result) as Array<[SeriesKey, HttpRun]>) {
          collected.set(key, [...(collected.get(key) ?? []), run]);
          const extra = [
            run.non2xx ? `${run.non2xx} non-2xx ${JSON.stringify(run.statusCodes)}` : "",
            run.errors ? `${run.errors} errors (${run.timeouts} timeouts)` : "",
            run.poolExhausted ? `${run.poolExhausted} without a fresh token` : "",
          ]
            .filter(Boolean)
            .join(", ");
          log(
            `  ${key.padEnd(15)} ${formatNumber(run.okPerSecond).padStart(8)} req/s  p50 ${formatNumber(run.p50Ms).padStart(6)} ms  p99 ${formatNumber(run.p99Ms).padStart(6)} ms${extra ? `  (${extra})` : ""}`,
          );
        }
        await sleep(scenario.settleMs);
      }
    }

    // A scenario without a single success measured nothing; better no results than wrong ones.
    for (const [key, runs] of collected) {
      if (runs.every((run) => run.ok === 0)) {
        throw new Error(`${key}: no 2xx response in any run (${JSON.stringify(runs.map((run) => run.statusCodes))}, ${runs[0]?.errors ?? 0} errors)`);
      }
    }
    const series = summarise(selected, collected);
    log(
      `minted ${pool.created} sessions for /refresh and /logout and ${freshTokens.minted} access tokens for /me; ` +
        `/register made ${registered} users`,
    );
    const serviceLogTail = service.tail(200);
    if (/"level":(50|60)/.test(serviceLogTail)) log(`the service logged errors; see ${service.logPath} (kept only until cleanup):\n${service.tail(10)}`);

    return {
      series,
      service: {
        command: [runtimeName(), ...serviceArgs].join(" "),
        env: {
          NODE_ENV: serviceEnv.NODE_ENV!,
          LOG_LEVEL: serviceEnv.LOG_LEVEL!,
          JWT: options.jwtAlgorithm,
          SESSIONS: options.sessionStore,
          PASSWORD_HASHER: `${hashing.hasher ?? "auto"} (${hasher.implementation} in use)`,
          PASSWORD_HASH_WORKERS: `${hashing.workers ?? "unset"} (${hasher.concurrency} at once)`,
          PASSWORD_HASH_MAX_QUEUE: String(hashing.maxQueue),
          DATABASE_POOL_SIZE: String(config.database.poolSize),
          RATE_LIMITS: options.rateLimits === "off" ? "off" : "on, at 1000000/1s (never reached)",
        },
        logPath: service.logPath,
      },
      hasher,
      yardstick: { command: [runtimeName(), ...yardstickArgs].join(" ") },
      backends: { postgres: database.serverVersion, redis: redis.serverVersion, sessionStore: options.sessionStore },
      jwtAlgorithm: options.jwtAlgorithm,
      durationSeconds: seconds,
      runs: options.runs,
      warmupSeconds: options.warmupSeconds,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function summarise(scenarios: Scenario[], collected: Map<SeriesKey, HttpRun[]>): SeriesSummary[] {
  const medians = (runs: HttpRun[]) => ({
    okPerSecond: median(runs.map((run) => run.okPerSecond)),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
  });
  const bare = medians(collected.get("bare") ?? []);
  const verify = medians(collected.get("verify") ?? []);
  return scenarios.flatMap((scenario) =>
    scenario.series.map((info) => {
      const runs = collected.get(info.key) ?? [];
      const m = medians(runs);
      const notes: string[] = [];
      const non2xx = runs.reduce((sum, run) => sum + run.non2xx, 0);
      const errors = runs.reduce((sum, run) => sum + run.errors, 0);
      const exhausted = runs.reduce((sum, run) => sum + (run.poolExhausted ?? 0), 0);
      if (non2xx) notes.push(`${non2xx} non-2xx responses over ${runs.length} run(s)`);
      if (errors) notes.push(`${errors} connection errors/timeouts`);
      if (exhausted) notes.push(`${exhausted} requests had to reuse a token (the pre-made pool ran dry)`);
      return {
        ...info,
        runs,
        ...m,
        ratios: {
          okPerSecondToBare: m.okPerSecond / bare.okPerSecond,
          okPerSecondToVerify: m.okPerSecond / verify.okPerSecond,
          p50ToBare: m.p50Ms / bare.p50Ms,
          p50ToVerify: m.p50Ms / verify.p50Ms,
          p99ToBare: m.p99Ms / bare.p99Ms,
          p99ToVerify: m.p99Ms / verify.p99Ms,
        },
        notes,
      };
    }),
  );
}

if (isEntrypoint(import.meta.url)) {
  const report = await runHttp(loadBenchOptions());
  console.log("\nmedians:");
  for (const s of report.series) {
    console.log(
      `  ${s.key.padEnd(15)} ${formatNumber(s.okPerSecond).padStart(8)} req/s  p50 ${formatNumber(s.p50Ms)} ms  p99 ${formatNumber(s.p99Ms)} ms  ` +
        `(${formatRatio(s.ratios.okPerSecondToBare)} bare, ${formatRatio(s.ratios.okPerSecondToVerify)} verify)`,
    );
  }
}
