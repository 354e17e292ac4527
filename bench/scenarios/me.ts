import { createReusedAccessTokens } from "../lib/fixtures.js";
import { bearerGets, load } from "../lib/load.js";
import type { Scenario, ScenarioContext } from "../lib/runner.js";

/**
 * GET /me as clients make it: each of `users` signed-in users presents the same access token request
 * after request, so the service's verified-token cache hits and what remains is the session and
 * user lookups.
 */
export async function createMeScenario(context: ScenarioContext): Promise<Scenario> {
  const { serviceUrl: baseUrl, connections } = context;
  const accessTokens = await createReusedAccessTokens(context.fixtures, "me", context.users);
  return {
    series: [{ key: "me", label: "GET /me", target: "service", request: "GET /me", connections }],
    settleMs: 250,
    run: async (seconds) => ({ me: await load({ baseUrl, connections, requests: bearerGets("/me", await accessTokens.current()) }, seconds) }),
  };
}
