import type autocannon from "autocannon";
import { createSessionPool } from "../lib/fixtures.js";
import { JSON_HEADERS, load } from "../lib/load.js";
import type { Scenario, ScenarioContext } from "../lib/runner.js";

/**
 * POST /refresh, the rotation: every request spends one refresh token and gets its successor back.
 * Successors go into a queue that any connection may take from next (a connection has one request
 * in flight, so the queue never runs dry while responses come back); a failed request's chain is
 * replaced by a fresh session from the pool.
 */
export async function createRefreshScenario(context: ScenarioContext): Promise<Scenario> {
  const { serviceUrl: baseUrl, connections } = context;
  const pool = await createSessionPool(context.fixtures, "refresh");
  const successors: string[] = [];
  const request: autocannon.Request = {
    method: "POST",
    path: "/refresh",
    headers: JSON_HEADERS,
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ refresh_token: successors.pop() ?? pool.take() }) }),
    onResponse: (status, body) => {
      if (status === 200) successors.push(String((JSON.parse(body) as { refresh_token: string }).refresh_token));
    },
  };
  return {
    series: [{ key: "refresh", label: "POST /refresh (rotation)", target: "service", request: "POST /refresh", connections }],
    settleMs: 250,
    async run(seconds) {
      // Chains end when a run stops mid-request; enough fresh sessions to start every connection twice.
      if (successors.length < connections) await pool.fill(connections * 2);
      const dryBefore = pool.dryTakes;
      const run = await load({ baseUrl, connections, requests: [request] }, seconds);
      return { refresh: { ...run, poolExhausted: pool.dryTakes - dryBefore } };
    },
  };
}
