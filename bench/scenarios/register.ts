import type autocannon from "autocannon";
import { BENCH_PASSWORD } from "../lib/fixtures.js";
import { JSON_HEADERS, load } from "../lib/load.js";
import type { Scenario, ScenarioContext } from "../lib/runner.js";

/** POST /register with a new email each request: one Argon2id hash and one insert each. */
export function createRegisterScenario(context: ScenarioContext): Scenario {
  const { serviceUrl: baseUrl, hashConnections: connections, fixtures } = context;
  let registered = 0;
  const request: autocannon.Request = {
    method: "POST",
    path: "/register",
    headers: JSON_HEADERS,
    setupRequest: (req) => ({
      ...req,
      body: JSON.stringify({ email: `register-${fixtures.runTag}-${registered++}@bench.example.com`, password: BENCH_PASSWORD }),
    }),
  };
  return {
    series: [{ key: "register", label: "POST /register", target: "service", request: "POST /register", connections }],
    settleMs: 1_000,
    run: async (seconds) => ({ register: await load({ baseUrl, connections, requests: [request] }, seconds) }),
  };
}
