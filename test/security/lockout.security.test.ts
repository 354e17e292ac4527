import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, GENEROUS_LIMITS_ENV, httpClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { describeEachBackend } from "../helpers/flows.js";
import { expectProblem, PASSWORD, uniqueEmail } from "./support.js";

/**
 * Issue 11, items 4 and 5, over a real listener with real concurrency: failures back off per
 * (account, source), so an attacker who does not know the password cannot lock the owner out from
 * another address until the account's hard cap; logins in flight are not failures; and wrong
 * password confirmations count toward the same budget and cost the guessing session.
 */
const ENV = {
  ...GENEROUS_LIMITS_ENV,
  TRUST_PROXY: "1",
  LOGIN_THROTTLE: "5/15m",
  LOGIN_THROTTLE_ACCOUNT_CAP: "20/1h",
};
const ATTACKER = "203.0.113.66";
const OWNER = "198.51.100.10";

function describeLockout(backend: BackendName) {
  let testApp: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    testApp = await createTestApp({ backend, env: ENV });
    client = await httpClient(testApp.app);
  });
  afterAll(async () => {
    await client?.close();
    await testApp?.cleanup();
  });

  const login = (email: string, password: string, from: string) =>
    client.request("POST", "/login", { json: { email, password }, headers: { "x-forwarded-for": from } });
  async function registered(): Promise<string> {
    const email = uniqueEmail("lockout");
    expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
    return email;
  }

  it("an attacker's failures from one address do not lock the owner out from another; past the hard cap they do", async () => {
    const email = await registered();
    for (let i = 0; i < 5; i++) expectProblem(await login(email, "wrong guess", ATTACKER), 401, "INVALID_CREDENTIALS");
    const refused = await login(email, PASSWORD, ATTACKER);
    expectProblem(refused, 429, "RATE_LIMITED");
    expect(refused.headers.get("ratelimit-policy")).toContain(`"login-account";q=5;w=900`);
    // The owner, from an address that has not been failing, with the right password.
    expect((await login(email, PASSWORD, OWNER)).status).toBe(200);
    // A botnet: four failures from each of five more addresses reach the cap of 20 (the owner's
    // success reset the account's count, so these are consecutive from here).
    for (let bot = 0; bot < 5; bot++) {
      for (let i = 0; i < 4; i++) expectProblem(await login(email, "wrong guess", `192.0.2.${bot + 1}`), 401, "INVALID_CREDENTIALS");
    }
    const capped = await login(email, PASSWORD, OWNER);
    expectProblem(capped, 429, "RATE_LIMITED");
    expect(capped.headers.get("ratelimit-policy")).toContain(`"login-account-cap";q=20;w=3600`);
    expect(Number(capped.headers.get("retry-after"))).toBeGreaterThan(3000);
    testApp.clock.advance(3600);
    expect((await login(email, PASSWORD, OWNER)).status).toBe(200);
  });

  it("10 concurrent correct logins to one account from one address all answer 200", async () => {
    const email = await registered();
    const responses = await Promise.all(Array.from({ length: 10 }, () => login(email, PASSWORD, OWNER)));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
  });

  it("of 15 concurrent wrong guesses from one address exactly 5 are checked; the rest are refused unchecked", async () => {
    const email = await registered();
    const responses = await Promise.all(Array.from({ length: 15 }, (_, i) => login(email, `guess ${i}`, ATTACKER)));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(10).fill(429)]);
    expect((await login(email, PASSWORD, OWNER)).status).toBe(200);
  });

  it("wrong password confirmations count as failures, are recorded, and revoke the guessing session", async () => {
    const email = await registered();
    const stolen = (await login(email, PASSWORD, ATTACKER)).body.access_token as string;
    const confirm = (path: "/me/password" | "/me", password: string) =>
      path === "/me"
        ? client.request("DELETE", "/me", { token: stolen, json: { password }, headers: { "x-forwarded-for": ATTACKER } })
        : client.request("POST", "/me/password", {
            token: stolen,
            json: { current_password: password, new_password: "a brand new passphrase" },
            headers: { "x-forwarded-for": ATTACKER },
          });
    expectProblem(await confirm("/me/password", "guess 1"), 403, "WRONG_PASSWORD");
    expectProblem(await confirm("/me", "guess 2"), 403, "WRONG_PASSWORD");
    // A failed login from the same address shares the budget of 5.
    expectProblem(await login(email, "guess 3", ATTACKER), 401, "INVALID_CREDENTIALS");
    expectProblem(await confirm("/me/password", "guess 4"), 403, "WRONG_PASSWORD");
    expect((await client.request("GET", "/me", { token: stolen })).status).toBe(200);
    // The fifth spends the budget: the session is revoked with it.
    expectProblem(await confirm("/me", "guess 5"), 403, "WRONG_PASSWORD");
    expectProblem(await client.request("GET", "/me", { token: stolen }), 401, "INVALID_TOKEN");
    expectProblem(await login(email, PASSWORD, ATTACKER), 429, "RATE_LIMITED");

    const owner = (await login(email, PASSWORD, OWNER)).body.access_token as string;
    const events = (await client.request("GET", "/me/events?limit=50", { token: owner })).body.items as Array<{ type: string; details: unknown }>;
    const confirmations = events.filter((event) => event.type === "password_confirmation_failed");
    expect(confirmations).toHaveLength(4);
    expect(confirmations.map((event) => event.details)).toContainEqual({ session_revoked: true });
  });

  it("concurrent wrong confirmations from one session: exactly the budget is checked, then the session is gone", async () => {
    const email = await registered();
    const token = (await login(email, PASSWORD, ATTACKER)).body.access_token as string;
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        client.request("DELETE", "/me", { token, json: { password: `guess ${i}` }, headers: { "x-forwarded-for": ATTACKER } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 403)).toHaveLength(5);
    expect(statuses.every((status) => status === 403 || status === 429 || status === 401)).toBe(true);
    expectProblem(await client.request("GET", "/me", { token }), 401, "INVALID_TOKEN");
    expect((await login(email, PASSWORD, OWNER)).status).toBe(200);
  });
}

describeEachBackend("lockout resistance over HTTP", describeLockout);
