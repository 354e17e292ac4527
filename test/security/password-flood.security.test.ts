import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPasswordHasher } from "../../src/password/index.js";
import type { PasswordHasher } from "../../src/password/hasher.js";
import { describeEachBackend } from "../helpers/flows.js";
import { createTestApp, GENEROUS_LIMITS_ENV, httpClient, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { expectProblem, PASSWORD, uniqueEmail } from "./support.js";

/**
 * Issue 11, item 1: one user flooding the password confirmations must not take logins down for
 * everyone. Real Argon2id at the OWASP cost, one worker and a short queue, so the queue really fills;
 * a real listener; the attacker keeps ~80 requests in flight for as long as the victim logs in.
 */
const ATTACKER_IP = "203.0.113.9";
const VICTIM_IP = "198.51.100.20";

describe("a flood of wrong password confirmations from one token leaves other users' logins answering 200 (embedded PGlite)", () => {
  let hasher: PasswordHasher;
  let testApp: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    ({ hasher } = await createPasswordHasher({ implementation: "auto", concurrency: 1, maxQueue: 8, maxPerClient: 4 }));
    // The rate limits and the failure throttle are off here: the hasher's own fairness is on trial.
    testApp = await createTestApp({
      hasher,
      env: { ...GENEROUS_LIMITS_ENV, TRUST_PROXY: "1", LOGIN_THROTTLE: "off", RATE_LIMIT_PASSWORD_CONFIRM: "off", RATE_LIMIT_PASSWORD_CONFIRM_USER: "off" },
    });
    client = await httpClient(testApp.app);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await testApp?.cleanup();
    await hasher?.close();
  });

  it("keeps 80 confirmations in flight from one user while another user logs in 8 times: every login is 200", async () => {
    const register = async (from: string) => {
      const email = uniqueEmail("flood");
      const response = await client.request("POST", "/register", { json: { email, password: PASSWORD }, headers: { "x-forwarded-for": from } });
      expect(response.status).toBe(201);
      return email;
    };
    const [attacker, victim] = [await register(ATTACKER_IP), await register(VICTIM_IP)];
    const token = (await client.request("POST", "/login", { json: { email: attacker, password: PASSWORD }, headers: { "x-forwarded-for": ATTACKER_IP } })).body
      .access_token as string;

    let flooding = true;
    const attackerStatuses: number[] = [];
    const flood = Array.from({ length: 80 }, async (_, i) => {
      while (flooding) {
        const response = await client.request("POST", "/me/password", {
          token,
          json: { current_password: `wrong ${i}`, new_password: "another passphrase here" },
          headers: { "x-forwarded-for": ATTACKER_IP },
        });
        attackerStatuses.push(response.status);
      }
    });
    // Wait until the flood is really holding the hasher.
    await expect.poll(() => attackerStatuses.length, { timeout: 30_000 }).toBeGreaterThan(20);

    const victimStatuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await client.request("POST", "/login", { json: { email: victim, password: PASSWORD }, headers: { "x-forwarded-for": VICTIM_IP } });
      victimStatuses.push(response.status);
    }
    const newcomer = await client.request("POST", "/register", {
      json: { email: uniqueEmail("newcomer"), password: PASSWORD },
      headers: { "x-forwarded-for": "192.0.2.77" },
    });
    flooding = false;
    await Promise.all(flood);

    expect(victimStatuses).toEqual(Array(8).fill(200));
    expect(newcomer.status).toBe(201);
    // The flood was real: some of it was checked (403), and the excess refused fast (503).
    expect(attackerStatuses).toContain(403);
    expect(attackerStatuses).toContain(503);
    expect(attackerStatuses.every((status) => status === 403 || status === 503)).toBe(true);
  }, 120_000);
});

/** The per-IP and per-user limits of the two routes that verify a password behind a token. */
function describeConfirmationLimits(backend: BackendName) {
  let testApp: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    testApp = await createTestApp({
      backend,
      env: { ...GENEROUS_LIMITS_ENV, TRUST_PROXY: "1", RATE_LIMIT_PASSWORD_CONFIRM: "4/10m", RATE_LIMIT_PASSWORD_CONFIRM_USER: "3/10m" },
    });
    client = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  async function signedIn(): Promise<string> {
    const email = uniqueEmail("confirm-limit");
    expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
    return (await client.request("POST", "/login", { json: { email, password: PASSWORD } })).body.access_token as string;
  }
  const changePassword = (token: string, from: string) =>
    client.request("POST", "/me/password", {
      token,
      json: { current_password: "not the password", new_password: "another passphrase here" },
      headers: { "x-forwarded-for": from },
    });
  const deleteMe = (token: string, from: string) =>
    client.request("DELETE", "/me", { token, json: { password: "not the password" }, headers: { "x-forwarded-for": from } });

  it("per user: one token spread over addresses gets 429 after 3 confirmations, both routes counted together", async () => {
    const token = await signedIn();
    const first = await changePassword(token, "192.0.2.1");
    expectProblem(first, 403, "WRONG_PASSWORD");
    expect(first.headers.get("ratelimit-policy")).toContain(`"password-confirm-user";q=3;w=600`);
    expect(first.headers.get("ratelimit")).toContain(`"password-confirm-user";r=2;`);
    expectProblem(await deleteMe(token, "192.0.2.2"), 403, "WRONG_PASSWORD");
    expectProblem(await changePassword(token, "192.0.2.3"), 403, "WRONG_PASSWORD");
    const refused = await deleteMe(token, "192.0.2.4");
    expectProblem(refused, 429, "RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("ratelimit")).toContain(`"password-confirm-user";r=0;`);
  });

  it("per address: several users from one address get 429 after 4 confirmations, before any token is checked", async () => {
    const from = "192.0.2.50";
    const tokens = [await signedIn(), await signedIn(), await signedIn()];
    for (const [i, token] of [tokens[0], tokens[0], tokens[1], tokens[2]].entries()) {
      const response = i % 2 ? await deleteMe(token!, from) : await changePassword(token!, from);
      expectProblem(response, 403, "WRONG_PASSWORD");
      expect(response.headers.get("ratelimit-policy")).toContain(`"password-confirm";q=4;w=600`);
    }
    const refused = await changePassword(tokens[1]!, from);
    expectProblem(refused, 429, "RATE_LIMITED");
    expect(refused.headers.get("ratelimit")).toContain(`"password-confirm";r=0;`);
    expectProblem(await client.request("DELETE", "/me", { token: "not-a-token", json: { password: "x" }, headers: { "x-forwarded-for": from } }), 429, "RATE_LIMITED");
  });
}

describeEachBackend("rate limits on the password confirmations", describeConfirmationLimits);
