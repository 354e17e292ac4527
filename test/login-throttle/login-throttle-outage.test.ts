import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisClient } from "../../src/bootstrap.js";
import { ProblemError } from "../../src/http/problem.js";
import { createRedisLoginThrottleStore } from "../../src/login-throttle/redis-store.js";
import { createLoginThrottle } from "../../src/login-throttle/with-login-throttle.js";
import { createPrivateRedis, type PrivateRedis } from "../helpers/redis-server.js";
import { createCapturingLogger } from "../security/support.js";

/**
 * The login throttle's own answer when its store fails (issue 18: the "Redis down" HTTP test gets
 * its 503 from the per-IP limiter first). With the store's Redis stopped, a guarded check is
 * refused with 503 SERVICE_UNAVAILABLE and never runs: without its counts the throttle cannot
 * bound guessing, so it must not become an unthrottled password oracle. Redis back: it guards again.
 */
const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;

describe.runIf(hasRedisServer)("the login throttle with its Redis stopped (a private Redis, the production client)", () => {
  let redis: PrivateRedis;
  let client: ReturnType<typeof createRedisClient>;
  const capture = createCapturingLogger("trace");
  const rule = { maxFailures: 5, windowSeconds: 900, baseBackoffSeconds: 60, maxBackoffSeconds: 3600, accountMaxFailures: 100, accountWindowSeconds: 3600 };
  const wrongPassword = new Error("wrong password");
  const hooks = { isWrongPassword: (error: unknown) => error === wrongPassword };

  beforeAll(async () => {
    redis = await createPrivateRedis();
    client = createRedisClient(redis.url);
    client.on("error", () => {});
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it("refuses the password check with 503 and Retry-After while the store is down, and guards again once it is back", async () => {
    const throttle = createLoginThrottle({
      rule,
      store: createRedisLoginThrottleStore({ client, keyPrefix: "outage:login-throttle:" }),
      clock: () => new Date(),
      logger: capture.logger,
    });
    const subject = { email: "ada@example.test", ip: "192.0.2.7" };
    // The production client has no offline queue: wait for its connection.
    await expect.poll(() => client.ping().catch(() => "down"), { timeout: 20_000, interval: 100 }).toBe("PONG");
    expect(await throttle.guard(subject, async () => "checked", hooks)).toBe("checked");

    await redis.stop();
    let checks = 0;
    const refused = await throttle.guard(subject, async () => ++checks, hooks).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ProblemError);
    const problem = refused as ProblemError;
    expect(problem.status).toBe(503);
    expect(problem.code).toBe("SERVICE_UNAVAILABLE");
    expect(problem.headers["retry-after"]).toMatch(/^[1-9]\d*$/);
    expect(checks).toBe(0);
    expect(capture.output()).toContain("login throttle store failed; refusing the password check");

    await redis.start();
    await expect.poll(() => client.ping().catch(() => "down"), { timeout: 20_000, interval: 200 }).toBe("PONG");
    expect(await throttle.guard(subject, async () => ++checks, hooks)).toBe(1);
  });
});
