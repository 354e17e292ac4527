import autocannon from "autocannon";
import { percentileOfSorted, Samples } from "./stats.js";

/** autocannon runs and the request shapes the HTTP scenarios send. */

export const JSON_HEADERS = { "content-type": "application/json" };

/** One measured autocannon run. Latencies are of 2xx responses, in milliseconds, full precision. */
export interface HttpRun {
  durationSeconds: number;
  requests: number;
  ok: number;
  /** 2xx responses per second: the throughput figure reported everywhere. */
  okPerSecond: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50Ms: number;
  p99Ms: number;
  statusCodes: Record<string, number>;
  /** Requests that found the pre-made pool (sessions, tokens) empty and reused a spent or seen one. */
  poolExhausted?: number;
}

export interface LoadSpec {
  baseUrl: string;
  connections: number;
  requests: autocannon.Request[];
}

/** One autocannon run; latencies recorded per response, at full precision, for 2xx only. */
export function load(spec: LoadSpec, seconds: number): Promise<HttpRun> {
  const latencies = new Samples();
  const statusCodes: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.baseUrl,
        connections: spec.connections,
        duration: seconds,
        pipelining: 1,
        timeout: 10,
        requests: spec.requests,
      },
      (error, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        const sorted = latencies.sorted();
        const ok = result["2xx"];
        resolve({
          durationSeconds: result.duration,
          requests: ok + result.non2xx,
          ok,
          okPerSecond: ok / result.duration,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          p50Ms: percentileOfSorted(sorted, 50),
          p99Ms: percentileOfSorted(sorted, 99),
          statusCodes,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

/** GET `path` with each token as the bearer in turn: autocannon cycles over the list per connection. */
export function bearerGets(path: string, accessTokens: readonly string[]): autocannon.Request[] {
  return accessTokens.map((token) => ({ method: "GET", path, headers: { authorization: `Bearer ${token}` } }));
}

export interface Credentials {
  email: string;
  password: string;
}

/**
 * POST /login over the accounts round-robin from one counter of its own, so the requests in flight
 * at any moment are for distinct accounts (accounts >= 2 x connections): the per-account login
 * throttle counts attempts in flight and rightly refuses a burst on one account.
 */
export function roundRobinLogins(accounts: readonly Credentials[]): autocannon.Request[] {
  const bodies = accounts.map((account) => JSON.stringify(account));
  let turn = 0;
  return [
    {
      method: "POST",
      path: "/login",
      headers: JSON_HEADERS,
      setupRequest: (request) => ({ ...request, body: bodies[turn++ % bodies.length] }),
    },
  ];
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { text };
  }
  return { status: response.status, json };
}
