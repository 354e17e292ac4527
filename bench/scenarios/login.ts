import { registerAccounts } from "../lib/fixtures.js";
import { load, roundRobinLogins } from "../lib/load.js";
import type { Scenario, ScenarioContext } from "../lib/runner.js";

export interface LoginTarget {
  key: "login" | "login-wasm";
  label: string;
  /** The service to log in to: the one under test, or the same build with PASSWORD_HASHER=wasm. */
  baseUrl: string;
}

/**
 * POST /login with the right password, round-robin over accounts registered for this scenario
 * (two per connection, so the per-account throttle never sees a burst on one account). Bounded by
 * the hasher: one Argon2id verify per request.
 */
export async function createLoginScenario(context: ScenarioContext, target: LoginTarget): Promise<Scenario> {
  const { hashConnections: connections } = context;
  // Both services share the database: accounts registered with either hasher verify on either.
  const accounts = await registerAccounts(target.baseUrl, context.fixtures, target.key, context.users);
  const requests = roundRobinLogins(accounts);
  return {
    series: [{ key: target.key, label: target.label, target: "service", request: "POST /login", connections }],
    settleMs: 1_000,
    run: async (seconds) => ({ [target.key]: await load({ baseUrl: target.baseUrl, connections, requests }, seconds) }),
  };
}
