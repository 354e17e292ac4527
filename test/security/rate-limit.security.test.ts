import { MemoryStore, type Store } from "hono-rate-limiter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createRedisRateLimitStore } from "../../src/rate-limit/redis-store.js";
import { describeRateLimitStoreContract } from "../contracts/rate-limit-store.contract.js";
import { createTestRedis, testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { expectProblem, PASSWORD, scanAll, uniqueEmail } from "./support.js";

/**
 * Per-client-IP rate limits on POST /register, /login and /refresh (hono-rate-limiter), on each
 * backend: in process without Redis, in Redis with it. The peer address comes from a test header,
 * so each test is a client of its own and tests never share a bucket.
 */
const LIMITS = { RATE_LIMIT_REGISTER: "2/1m", RATE_LIMIT_LOGIN: "3/1m", RATE_LIMIT_REFRESH: "2/1m" };
const QUOTA = { "/register": 2, "/login": 3, "/refresh": 2 } as const;
const WINDOW_SECONDS = 60;

let peerCounter = 0;
/** A fresh client address, in TEST-NET-3 so it can be nothing real. */
function freshPeer(): string {
  peerCounter++;
  return `203.0.${Math.floor(peerCounter / 250) % 250}.${(peerCounter % 250) + 1}`;
}

/** The first 64 bits of a fresh IPv6 subscriber (documentation prefix 2001:db8::/32); `:1` after it is the next /64. */
function freshIpv6Prefix(): string {
  peerCounter++;
  return `2001:db8:${peerCounter.toString(16)}:0`;
}

/** A request body each route accepts far enough to reach its rule (the limit counts them all). */
function bodyFor(path: keyof typeof QUOTA): unknown {
  if (path === "/register") return { email: uniqueEmail("rl"), password: PASSWORD };
  if (path === "/login") return { email: uniqueEmail("rl-ghost"), password: PASSWORD };
  return { refresh_token: "not-a-refresh-token" };
}

/**
 * One embedded database for the whole file (making one costs seconds); instances with other
 * settings are further apps over the same dependencies, as another process would be.
 */
let shared: Promise<TestApp> | undefined;
const sharedPglite = () => (shared ??= createTestApp({ env: LIMITS, remoteAddress: (c) => c.req.header("x-test-peer") }));
afterAll(async () => {
  if (shared) await (await shared).cleanup();
});

const RATE_LIMIT_VALUE = /^"(?<name>[a-z-]+)";r=(?<r>\d+);t=(?<t>\d+)$/;

function describeRateLimits(backend: BackendName) {
  describe(`per-IP rate limits (${backend === "pglite" ? "in process" : "in Redis"})`, () => {
    let testApp: TestApp;
    let client: TestClient;
    beforeAll(async () => {
      testApp =
        backend === "pglite" ? await sharedPglite() : await createTestApp({ backend, env: LIMITS, remoteAddress: (c) => c.req.header("x-test-peer") });
      client = inProcessClient(testApp.app);
    });
    afterAll(async () => {
      if (backend !== "pglite") await testApp?.cleanup();
    });
    const post = (path: string, json: unknown, peer: string, headers: Record<string, string> = {}) =>
      client.request("POST", path, { json, headers: { "x-test-peer": peer, ...headers } });

    it.each(Object.keys(QUOTA) as Array<keyof typeof QUOTA>)(
      "POST %s: the RateLimit headers count down, then a 429 problem with Retry-After",
      async (path) => {
        const peer = freshPeer();
        const name = path.slice(1);
        const quota = QUOTA[path];
        for (let sent = 1; sent <= quota; sent++) {
          const response = await post(path, bodyFor(path), peer);
          expect(response.status).toBeLessThan(429);
          expect(response.headers.get("ratelimit-policy")).toBe(`"${name}";q=${quota};w=${WINDOW_SECONDS}`);
          const value = RATE_LIMIT_VALUE.exec(response.headers.get("ratelimit") ?? "");
          expect(value?.groups).toMatchObject({ name, r: String(quota - sent) });
          expect(Number(value!.groups!.t)).toBeGreaterThan(0);
          expect(Number(value!.groups!.t)).toBeLessThanOrEqual(WINDOW_SECONDS);
        }
        const limited = await post(path, bodyFor(path), peer);
        expectProblem(limited, 429, "RATE_LIMITED");
        const retryAfter = Number(limited.headers.get("retry-after"));
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
        expect(limited.headers.get("ratelimit-policy")).toBe(`"${name}";q=${quota};w=${WINDOW_SECONDS}`);
        expect(limited.headers.get("ratelimit")).toBe(`"${name}";r=0;t=${retryAfter}`);
        expect(limited.text).not.toContain(peer);
        // The secure headers and the request id are there as on every answer.
        expect(limited.headers.get("x-content-type-options")).toBe("nosniff");
        expect(limited.headers.get("x-request-id")).toBeTruthy();
      },
    );

    it("refuses even the right password once the address is over its login limit", async () => {
      const peer = freshPeer();
      const email = uniqueEmail("rl-real");
      expect((await post("/register", { email, password: PASSWORD }, peer)).status).toBe(201);
      for (let i = 0; i < QUOTA["/login"]; i++) expect((await post("/login", { email, password: "wrong password" }, peer)).status).toBe(401);
      expectProblem(await post("/login", { email, password: PASSWORD }, peer), 429, "RATE_LIMITED");
      // Another address logs in.
      expect((await post("/login", { email, password: PASSWORD }, freshPeer())).status).toBe(200);
    });

    it("counts each address on its own, and the limits of the three routes apart", async () => {
      const [first, second] = [freshPeer(), freshPeer()];
      for (let i = 0; i < QUOTA["/login"]; i++) await post("/login", bodyFor("/login"), first);
      expect((await post("/login", bodyFor("/login"), first)).status).toBe(429);
      expect((await post("/login", bodyFor("/login"), second)).status).toBe(401);
      expect((await post("/register", bodyFor("/register"), first)).status).toBe(201);
      expect((await post("/refresh", bodyFor("/refresh"), first)).status).toBe(401);
    });

    it("limits only the three routes: /logout, /me and /healthz carry no RateLimit headers and are never refused", async () => {
      const peer = freshPeer();
      for (let i = 0; i < 6; i++) {
        const logout = await post("/logout", { refresh_token: "x" }, peer);
        expect(logout.status).toBe(204);
        expect(logout.headers.get("ratelimit")).toBeNull();
        expect((await client.request("GET", "/healthz", { headers: { "x-test-peer": peer } })).headers.get("ratelimit-policy")).toBeNull();
      }
    });

    it("with TRUST_PROXY=0 (the default) X-Forwarded-For is ignored: inventing one does not reset the limit", async () => {
      const peer = freshPeer();
      for (let i = 0; i < QUOTA["/login"]; i++) await post("/login", bodyFor("/login"), peer, { "x-forwarded-for": `198.51.100.${i + 1}` });
      for (const forwarded of ["198.51.100.77", "10.0.0.1, 198.51.100.78", "garbage"]) {
        expect((await post("/login", bodyFor("/login"), peer, { "x-forwarded-for": forwarded })).status).toBe(429);
      }
    });

    it("counts an IPv6 client by its /64: the other addresses of that /64 share its limit, the next /64 has its own", async () => {
      // One subscriber is handed a whole /64 (RFC 6177): a bucket per address would give it 2^64 limits.
      const prefix = freshIpv6Prefix();
      const sameSubscriber = [`${prefix}::1`, `${prefix}:1:2:3:4`, `${prefix}:ffff:ffff:ffff:ffff`, `${prefix}::abcd`, `[${prefix}::2]:443`];
      const statuses: number[] = [];
      for (const peer of sameSubscriber) statuses.push((await post("/login", bodyFor("/login"), peer)).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      const nextSubscriber = prefix.replace(/:0$/, ":1");
      expect((await post("/login", bodyFor("/login"), `${nextSubscriber}::1`)).status).toBe(401);
    });

    it("counts concurrent requests exactly: of 12 at once, the quota passes and the rest get 429", async () => {
      const peer = freshPeer();
      const responses = await Promise.all(Array.from({ length: 12 }, () => post("/login", bodyFor("/login"), peer)));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 401)).toHaveLength(QUOTA["/login"]);
      expect(statuses.filter((status) => status === 429)).toHaveLength(12 - QUOTA["/login"]);
    });

    it("shares one limit between two instances of the service on one store (Redis) or keeps it per process (memory)", async () => {
      // A second app over the same dependencies: with Redis it is another instance sharing the
      // counters; without, a second process, whose in-memory counters are its own.
      const other = inProcessClient(createApp(testApp.deps));
      const peer = freshPeer();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const via = i % 2 === 0 ? client : other;
        statuses.push((await via.request("POST", "/login", { json: bodyFor("/login"), headers: { "x-test-peer": peer } })).status);
      }
      expect(statuses).toEqual(backend === "postgres+redis" ? [401, 401, 401, 429] : [401, 401, 401, 401]);
    });
  });
}

describeRateLimits("pglite");
describe.runIf(Boolean(testDatabaseUrl && testRedisUrl))("with TEST_DATABASE_URL and TEST_REDIS_URL", () => {
  describeRateLimits("postgres+redis");
});

describe("client address behind trusted proxies (TRUST_PROXY=1)", () => {
  let client: TestClient;
  beforeAll(async () => {
    const base = await sharedPglite();
    const config = { ...base.deps.config, http: { ...base.deps.config.http, trustProxyHops: 1 } };
    client = inProcessClient(createApp({ ...base.deps, config, remoteAddress: () => "192.0.2.10" }));
  });
  const login = (forwarded?: string) =>
    client.request("POST", "/login", { json: bodyFor("/login"), headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded } });

  it("takes the entry our proxy appended (the last): a client cannot escape by prepending others", async () => {
    const client1 = freshPeer();
    for (let i = 0; i < QUOTA["/login"]; i++) expect((await login(`10.9.9.${i}, ${client1}`)).status).toBe(401);
    expect((await login(client1)).status).toBe(429);
    expect((await login(`1.1.1.1, 2.2.2.2, ${client1}`)).status).toBe(429);
    expect((await login(freshPeer())).status).toBe(401);
  });

  it("gives every spelling of one address one bucket: ports, brackets, zone ids and IPv4-mapped forms", async () => {
    const address = freshPeer();
    const spellings = [`${address}:1234`, `${address}:1235`, `::ffff:${address}`, `[::ffff:${address}]:443`, address];
    const statuses: number[] = [];
    for (let i = 0; i < QUOTA["/login"] + 1; i++) statuses.push((await login(spellings[i % spellings.length])).status);
    expect(statuses).toEqual([...Array<number>(QUOTA["/login"]).fill(401), 429]);
  });

  it("does not read leading-zero IPv4 forms as a fresh client: they fall back to the peer address", async () => {
    // An app of its own, so that its peer's bucket starts empty whatever ran before.
    const base = await sharedPglite();
    const config = { ...base.deps.config, http: { ...base.deps.config.http, trustProxyHops: 1 } };
    const own = inProcessClient(createApp({ ...base.deps, config, remoteAddress: () => "192.0.2.77" }));
    const statuses: number[] = [];
    // 09.08.04.05 is not an IPv4 address in strict parsing; each would have been a bucket of its own.
    for (let i = 0; i < QUOTA["/login"] + 1; i++) {
      statuses.push((await own.request("POST", "/login", { json: bodyFor("/login"), headers: { "x-forwarded-for": `09.08.04.0${i}` } })).status);
    }
    expect(statuses).toEqual([...Array<number>(QUOTA["/login"]).fill(401), 429]);
  });

  it("falls back to the peer address on malformed headers, and never errs", async () => {
    const statuses: number[] = [];
    for (const forwarded of ["", "garbage", ", , ,", "999.1.1.1", "1.2.3.4.5", ":::::zz", "\u00e91.2.3.4\u00ff", "1".repeat(5000), Array(400).fill("10.0.0.1").join(",")]) {
      statuses.push((await login(forwarded)).status);
    }
    // All of them landed in the peer's bucket (192.0.2.10): three 401s, then 429s.
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429]);
    // The peer's bucket is full; a well-formed forwarded address is another client.
    expect((await login(freshPeer())).status).toBe(401);
  });
});

// Which bucket each spelling of an address lands in (rateLimitKeyOfIp, IPv6 by /64) is tested, case by
// case, in test/lib/ip-address.test.ts.

describe("limits set to off", () => {
  it("RATE_LIMIT_LOGIN=off and LOGIN_THROTTLE=off: no headers and no 429, however many failures", async () => {
    // An instance with the settings loadConfig makes of RATE_LIMIT_LOGIN=off, RATE_LIMIT_REGISTER=0, LOGIN_THROTTLE=off.
    const off = loadConfig({ RATE_LIMIT_LOGIN: "off", RATE_LIMIT_REGISTER: "0", LOGIN_THROTTLE: "off" });
    const base = await sharedPglite();
    const config = { ...base.deps.config, rateLimits: { ...off.rateLimits, refresh: base.deps.config.rateLimits.refresh }, loginThrottle: off.loginThrottle };
    const client = inProcessClient(createApp({ ...base.deps, config }));
    const email = uniqueEmail("unlimited");
    const registered = await client.request("POST", "/register", { json: { email, password: PASSWORD }, headers: { "x-test-peer": freshPeer() } });
    expect(registered.status).toBe(201);
    expect(registered.headers.get("ratelimit")).toBeNull();
    const peer = freshPeer();
    for (let i = 0; i < 25; i++) {
      const response = await client.request("POST", "/login", { json: { email, password: "wrong password" }, headers: { "x-test-peer": peer } });
      expect(response.status).toBe(401);
      expect(response.headers.get("ratelimit")).toBeNull();
    }
    expect((await client.request("POST", "/login", { json: { email, password: PASSWORD }, headers: { "x-test-peer": peer } })).status).toBe(200);
    expect((await client.request("POST", "/refresh", { json: bodyFor("/refresh"), headers: { "x-test-peer": peer } })).headers.get("ratelimit")).not.toBeNull();
  });
});

describeRateLimitStoreContract("hono-rate-limiter MemoryStore", async () => ({ store: new MemoryStore(), cleanup: async () => {} }));

describe.runIf(Boolean(testRedisUrl))("with TEST_REDIS_URL", () => {
  describeRateLimitStoreContract("Redis", async () => {
    const redis = await createTestRedis();
    return { store: createRedisRateLimitStore({ client: redis.value, keyPrefix: `${redis.keyPrefix}rate-limit:test:` }), cleanup: redis.cleanup };
  });

  it("Redis: every counter lives under the configured prefix, with a TTL of at most one window", async () => {
    const redis = await createTestRedis();
    try {
      const prefix = `${redis.keyPrefix}rate-limit:login:`;
      const store = createRedisRateLimitStore({ client: redis.value, keyPrefix: prefix });
      store.init?.({ windowMs: 60_000 } as Parameters<NonNullable<Store["init"]>>[0]);
      for (const bucket of ["192.0.2.1", "2001:db8::/64", "192.0.2.1"]) await store.increment(bucket);
      const keys = (await scanAll(redis.value, `${redis.keyPrefix}*`)).sort();
      expect(keys).toEqual([`${prefix}192.0.2.1`, `${prefix}2001:db8::/64`]);
      for (const key of keys) {
        const ttl = await redis.value.pttl(key);
        expect(ttl).toBeGreaterThan(50_000);
        expect(ttl).toBeLessThanOrEqual(60_000);
      }
      expect(await redis.value.get(`${prefix}192.0.2.1`)).toBe("2");
    } finally {
      await redis.cleanup();
    }
  });
});

describe("rate-limit configuration", () => {
  it("ships production defaults", () => {
    const config = loadConfig({});
    expect(config.rateLimits).toEqual({
      register: { limit: 10, windowSeconds: 3600 },
      login: { limit: 20, windowSeconds: 600 },
      refresh: { limit: 60, windowSeconds: 60 },
      passwordConfirm: { limit: 20, windowSeconds: 600 },
      mfa: { limit: 20, windowSeconds: 600 },
      mail: { limit: 20, windowSeconds: 3600 },
    });
    expect(config.emailFlows.perAddressLimit).toEqual({ limit: 3, windowSeconds: 3600 });
    expect(config.userRateLimits).toEqual({ passwordConfirm: { limit: 10, windowSeconds: 600 }, mfa: { limit: 10, windowSeconds: 600 } });
    expect(config.loginThrottle).toEqual({
      maxFailures: 5,
      windowSeconds: 900,
      baseBackoffSeconds: 30,
      maxBackoffSeconds: 900,
      accountMaxFailures: 100,
      accountWindowSeconds: 86_400,
    });
  });

  it("reads count/duration in any unit, and 0 or off as no limit", () => {
    const config = loadConfig({ RATE_LIMIT_REGISTER: "3/90", RATE_LIMIT_LOGIN: " 100 / 2h ", RATE_LIMIT_REFRESH: "OFF", LOGIN_THROTTLE: "0" });
    expect(config.rateLimits).toEqual({
      register: { limit: 3, windowSeconds: 90 },
      login: { limit: 100, windowSeconds: 7200 },
      refresh: null,
      passwordConfirm: { limit: 20, windowSeconds: 600 },
      mfa: { limit: 20, windowSeconds: 600 },
      mail: { limit: 20, windowSeconds: 3600 },
    });
    expect(config.loginThrottle).toBeNull();
  });

  it.each([
    ["RATE_LIMIT_LOGIN", "20"],
    ["RATE_LIMIT_LOGIN", "20/"],
    ["RATE_LIMIT_LOGIN", "-1/1m"],
    ["RATE_LIMIT_LOGIN", "0/1m"],
    ["RATE_LIMIT_LOGIN", "20/0"],
    ["RATE_LIMIT_LOGIN", "20/8d"],
    ["RATE_LIMIT_REGISTER", "ten/1h"],
    ["RATE_LIMIT_REFRESH", "1.5/1m"],
    ["LOGIN_THROTTLE", "5000/1h"],
    ["LOGIN_THROTTLE_BACKOFF", "2d"],
    ["LOGIN_THROTTLE_ACCOUNT_CAP", "101/1d"],
    ["LOGIN_THROTTLE_ACCOUNT_CAP", "off"],
    ["RATE_LIMIT_PASSWORD_CONFIRM", "5"],
    ["RATE_LIMIT_PASSWORD_CONFIRM_USER", "x/1m"],
    ["PASSWORD_HASH_MAX_PER_CLIENT", "0"],
  ])("refuses %s=%s at start, naming the variable", (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });

  it("refuses an account cap below the per-source budget", () => {
    expect(() => loadConfig({ LOGIN_THROTTLE: "20/15m", LOGIN_THROTTLE_ACCOUNT_CAP: "10/1d" })).toThrow(/^LOGIN_THROTTLE_ACCOUNT_CAP: /);
  });

  it("refuses a maximum back-off shorter than the first", () => {
    expect(() => loadConfig({ LOGIN_THROTTLE_BACKOFF: "10m", LOGIN_THROTTLE_MAX_BACKOFF: "1m" })).toThrow(/^LOGIN_THROTTLE_MAX_BACKOFF: /);
  });
});

describe("the OpenAPI document", () => {
  it("lists the 429 problem on the three limited routes", async () => {
    const doc = (await inProcessClient((await sharedPglite()).app).request("GET", "/doc")).body;
    for (const path of Object.keys(QUOTA)) {
      expect(doc.paths[path].post.responses["429"]?.content?.["application/problem+json"], path).toBeDefined();
    }
  });
});
