import { createReusedAccessTokens, registerAccounts } from "../lib/fixtures.js";
import { bearerGets, load, roundRobinLogins } from "../lib/load.js";
import type { Scenario, ScenarioContext } from "../lib/runner.js";

/**
 * GET /me while logins saturate the hasher: two autocannon instances at once, one per series. Shows
 * whether hashing (off the main thread) still starves the requests that do not hash.
 */
export async function createMeUnderLoginLoadScenario(context: ScenarioContext): Promise<Scenario> {
  const { serviceUrl: baseUrl, connections, hashConnections, fixtures, users } = context;
  const accessTokens = await createReusedAccessTokens(fixtures, "me-under-login", users);
  const logins = roundRobinLogins(await registerAccounts(baseUrl, fixtures, "login-under-me", users));
  return {
    series: [
      { key: "me-under-login", label: "GET /me while logins saturate the hasher", target: "service", request: "GET /me", connections },
      { key: "login-under-me", label: "POST /login alongside that /me load", target: "service", request: "POST /login", connections: hashConnections },
    ],
    settleMs: 1_000,
    async run(seconds) {
      const meRequests = bearerGets("/me", await accessTokens.current());
      const [me, login] = await Promise.all([
        load({ baseUrl, connections, requests: meRequests }, seconds),
        load({ baseUrl, connections: hashConnections, requests: logins }, seconds),
      ]);
      return { "me-under-login": me, "login-under-me": login };
    },
  };
}
