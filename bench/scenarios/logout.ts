import type autocannon from "autocannon";
import { createSessionPool } from "../lib/fixtures.js";
import { JSON_HEADERS, load } from "../lib/load.js";
import { expectedRate, type Scenario, type ScenarioContext } from "../lib/runner.js";

/** Sessions minted per run: the expected rate x the run's length x this, so a faster run still finds one. */
const POOL_HEADROOM = 2;

/** POST /logout: each request ends a session of its own, minted before the clock starts. */
export async function createLogoutScenario(context: ScenarioContext): Promise<Scenario> {
  const { serviceUrl: baseUrl, connections, log } = context;
  const pool = await createSessionPool(context.fixtures, "logout");
  let fastestRate = 0;
  const request: autocannon.Request = {
    method: "POST",
    path: "/logout",
    headers: JSON_HEADERS,
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ refresh_token: pool.take() }) }),
  };
  return {
    series: [{ key: "logout", label: "POST /logout", target: "service", request: "POST /logout", connections }],
    settleMs: 250,
    async run(seconds, measured) {
      const started = performance.now();
      const before = pool.minted;
      await pool.fill(Math.ceil(expectedRate(fastestRate) * seconds * POOL_HEADROOM) + connections);
      if (measured && pool.minted > before) {
        log(`  (minted ${pool.minted - before} sessions for /logout in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
      const dryBefore = pool.dryTakes;
      const run = await load({ baseUrl, connections, requests: [request] }, seconds);
      fastestRate = Math.max(fastestRate, run.okPerSecond);
      return { logout: { ...run, poolExhausted: pool.dryTakes - dryBefore } };
    },
  };
}
