import { createReusedAccessTokens } from "../lib/fixtures.js";
import { bearerGets, load } from "../lib/load.js";
import type { Scenario, ScenarioContext } from "../lib/runner.js";

/**
 * The yardsticks every service figure is read against (bench/yardstick-server.ts, same runtime and
 * adapter): `bare`, a bare Hono JSON route, the ceiling of runtime + adapter + load generator; and
 * `verify`, a route that only verifies the bearer token, with no cache: one signature check a request.
 */
export async function createYardstickScenario(context: ScenarioContext, route: "bare" | "verify"): Promise<Scenario> {
  const { yardstickUrl: baseUrl, connections } = context;
  if (route === "bare") {
    return {
      series: [{ key: "bare", label: "yardstick: bare Hono route", target: "yardstick", request: "GET /bare", connections }],
      settleMs: 250,
      run: async (seconds) => ({ bare: await load({ baseUrl, connections, requests: [{ method: "GET", path: "/bare" }] }, seconds) }),
    };
  }
  // Tokens the service itself would accept, so the yardstick verifies what /me verifies.
  const accessTokens = await createReusedAccessTokens(context.fixtures, "verify", context.users);
  return {
    series: [{ key: "verify", label: "yardstick: verify access token only", target: "yardstick", request: "GET /verify", connections }],
    settleMs: 250,
    run: async (seconds) => ({
      verify: await load({ baseUrl, connections, requests: bearerGets("/verify", await accessTokens.current()) }, seconds),
    }),
  };
}
