import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArgon2idHasher, PasswordHasherBusyError, type PasswordHasher } from "../../src/password/hasher.js";
import { testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestApp, FAST_ARGON2_PARAMS, inProcessClient, type BackendName, type TestApp, type TestClient, type TestResponse } from "../helpers/test-app.js";
import { expectProblem, PASSWORD, uniqueEmail } from "./support.js";

/**
 * Failed-login throttling per account (normalised email) and source address: in process without
 * Redis, in Redis with it. Time moves with the app's test clock. The lockout properties of issue 11
 * (other addresses, the hard cap, concurrency over HTTP) are in lockout.security.test.ts.
 */
const THROTTLE = { LOGIN_THROTTLE: "3/15m", LOGIN_THROTTLE_BACKOFF: "30s", LOGIN_THROTTLE_MAX_BACKOFF: "2m", TRUST_PROXY: "1" };
const POLICY = `"login-account";q=3;w=900`;
/** A password the test hasher answers with "busy", as a full worker queue would. */
const BUSY_PASSWORD = "make the hasher busy";

/** The real (fast) Argon2id hasher, except that one password finds it busy. */
function hasherWithBusyPassword(): PasswordHasher {
  const real = createArgon2idHasher(FAST_ARGON2_PARAMS);
  return {
    hash: (password) => real.hash(password),
    verify: async (hash, password) => {
      if (password === BUSY_PASSWORD) throw new PasswordHasherBusyError(1);
      return real.verify(hash, password);
    },
    close: () => real.close(),
  };
}

function describeLoginThrottle(backend: BackendName) {
  describe(`failed-login throttling per account (${backend === "pglite" ? "in process" : "in Redis"})`, () => {
    let testApp: TestApp;
    let client: TestClient;
    beforeAll(async () => {
      testApp = await createTestApp({ backend, env: THROTTLE, hasher: hasherWithBusyPassword() });
      client = inProcessClient(testApp.app);
    });
    afterAll(async () => {
      await testApp?.cleanup();
    });

    /** Every attempt from one address unless told otherwise (X-Forwarded-For is trusted here). */
    const login = (email: string, password: string, address = "198.51.100.7") =>
      client.request("POST", "/login", { json: { email, password }, headers: { "x-forwarded-for": address } });
    async function registered(): Promise<string> {
      const email = uniqueEmail("throttle");
      expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
      return email;
    }
    function expectThrottled(response: TestResponse, retryAfter: number): void {
      expectProblem(response, 429, "RATE_LIMITED");
      expect(response.headers.get("retry-after")).toBe(String(retryAfter));
      expect(response.headers.get("ratelimit-policy")).toContain(POLICY);
      expect(response.headers.get("ratelimit")).toContain(`"login-account";r=0;t=${retryAfter}`);
      // The per-IP policy is listed too: both apply to /login.
      expect(response.headers.get("ratelimit-policy")).toMatch(/"login";q=\d+;w=\d+/);
    }

    it("after 3 failures from one address, a 429 with Retry-After there, even for the right password", async () => {
      const email = await registered();
      for (let i = 0; i < 3; i++) expectProblem(await login(email, "wrong password"), 401, "INVALID_CREDENTIALS");
      expectThrottled(await login(email, "wrong password"), 30);
      expectThrottled(await login(email, PASSWORD), 30);
      // IPv6 by /64: another address of the same /64 is the same source.
      for (let i = 0; i < 3; i++) await login(email, "wrong password", `2001:db8:1:2::${i + 1}`);
      expectThrottled(await login(email, PASSWORD, "2001:db8:1:2::99"), 30);
      testApp.clock.advance(29);
      expectThrottled(await login(email, PASSWORD), 1);
      testApp.clock.advance(1);
      expect((await login(email, PASSWORD)).status).toBe(200);
    });

    it("backs off longer with each further failure, up to the maximum", async () => {
      const email = await registered();
      for (let i = 0; i < 3; i++) await login(email, "wrong password");
      const locks: number[] = [];
      for (let step = 0; step < 4; step++) {
        const refused = await login(email, "wrong password");
        expect(refused.status).toBe(429);
        const seconds = Number(refused.headers.get("retry-after"));
        locks.push(seconds);
        testApp.clock.advance(seconds);
        expectProblem(await login(email, "wrong password"), 401, "INVALID_CREDENTIALS");
      }
      expect(locks).toEqual([30, 60, 120, 120]);
    });

    it("a successful login resets the count", async () => {
      const email = await registered();
      await login(email, "wrong password");
      await login(email, "wrong password");
      expect((await login(email, PASSWORD)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await login(email, "wrong password")).status).toBe(401);
      expect((await login(email, "wrong password")).status).toBe(429);
    });

    it("treats an unknown email exactly like an existing one: same statuses, bodies and headers", async () => {
      const existing = await registered();
      const unknown = uniqueEmail("nobody");
      const shape = (response: TestResponse) => ({
        status: response.status,
        body: { ...response.body, request_id: undefined },
        retryAfter: response.headers.get("retry-after"),
        policy: response.headers.get("ratelimit-policy"),
        rateLimit: response.headers.get("ratelimit")?.replace(/"login";r=\d+;t=\d+/, "login-ip"),
      });
      const runs: Array<ReturnType<typeof shape>[]> = [];
      for (const email of [existing, unknown]) {
        const run: ReturnType<typeof shape>[] = [];
        for (let i = 0; i < 5; i++) run.push(shape(await login(email, "wrong password")));
        runs.push(run);
      }
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[0]!.map((step) => step.status)).toEqual([401, 401, 401, 429, 429]);
    });

    it("counts every spelling of one address as one account", async () => {
      const email = await registered();
      for (const spelling of [email.toUpperCase(), `  ${email}  `, email.replace(/^./, (c) => c.toUpperCase())]) {
        expect((await login(spelling, "wrong password")).status).toBe(401);
      }
      expect((await login(email, PASSWORD)).status).toBe(429);
    });

    it("lets exactly 3 of 15 concurrent guesses be checked; the rest are refused unchecked", async () => {
      const email = await registered();
      const responses = await Promise.all(Array.from({ length: 15 }, (_, i) => login(email, `guess number ${i}`)));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 401)).toHaveLength(3);
      expect(statuses.filter((status) => status === 429)).toHaveLength(12);
    });

    it("leaves other accounts alone", async () => {
      const [victim, bystander] = [await registered(), await registered()];
      for (let i = 0; i < 4; i++) await login(victim, "wrong password");
      expect((await login(victim, PASSWORD)).status).toBe(429);
      expect((await login(bystander, PASSWORD)).status).toBe(200);
    });

    it("does not count an attempt that tested no password (the hasher was busy)", async () => {
      const email = await registered();
      for (let i = 0; i < 6; i++) {
        const busy = await login(email, BUSY_PASSWORD);
        expectProblem(busy, 503, "SERVER_BUSY");
      }
      expect((await login(email, PASSWORD)).status).toBe(200);
    });
  });
}

describeLoginThrottle("pglite");
describe.runIf(Boolean(testDatabaseUrl && testRedisUrl))("with TEST_DATABASE_URL and TEST_REDIS_URL", () => {
  describeLoginThrottle("postgres+redis");
});
