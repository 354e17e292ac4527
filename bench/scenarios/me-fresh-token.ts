import type autocannon from "autocannon";
import { signInUsers, signManyAccessTokens } from "../lib/fixtures.js";
import { load } from "../lib/load.js";
import { expectedRate, type Scenario, type ScenarioContext } from "../lib/runner.js";

/** Tokens minted per run: the expected rate x the run's length x this, so a faster run still finds one. */
const POOL_HEADROOM = 1.5;

/**
 * GET /me as a client's first request with a new token: the service's verified-token cache (keyed by
 * the whole token) cannot help, so every request pays a full signature check. The tokens are signed
 * before each run, with the service's key, for live sessions of this scenario's users.
 */
export async function createMeFreshTokenScenario(context: ScenarioContext): Promise<Scenario> {
  const { serviceUrl: baseUrl, connections, fixtures, log } = context;
  const users = await signInUsers(fixtures, "me-fresh", context.users);
  let unused: string[] = [];
  let signed = 0;
  let fastestRate = 0;
  let exhausted = 0;
  /** A token already seen: what a request gets if the pool runs dry (and is counted). */
  const [seenToken] = await signManyAccessTokens(fixtures, users, 1, 0);
  const request: autocannon.Request = {
    method: "GET",
    path: "/me",
    setupRequest: (req) => {
      let token = unused.pop();
      if (!token) {
        exhausted++;
        token = seenToken!;
      }
      return { ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } };
    },
  };
  return {
    series: [{ key: "me-fresh", label: "GET /me, a never-seen token each request", target: "service", request: "GET /me", connections }],
    settleMs: 250,
    async run(seconds, measured) {
      const wanted = Math.ceil(expectedRate(fastestRate) * seconds * POOL_HEADROOM) + connections;
      if (unused.length < wanted) {
        const started = performance.now();
        const count = wanted - unused.length;
        unused = [...unused, ...(await signManyAccessTokens(fixtures, users, count, signed))];
        signed += count;
        if (measured) log(`  (signed ${count} access tokens for /me in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
      exhausted = 0;
      const run = await load({ baseUrl, connections, requests: [request] }, seconds);
      fastestRate = Math.max(fastestRate, run.okPerSecond);
      return { "me-fresh": { ...run, poolExhausted: exhausted } };
    },
  };
}
