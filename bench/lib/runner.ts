import type { Fixtures } from "./fixtures.js";
import type { HttpRun } from "./load.js";
import type { BenchOptions } from "./options.js";
import type { ChildServer } from "./processes.js";
import { formatNumber, median } from "./stats.js";

/**
 * The HTTP scenarios' common shape and the one loop that runs them. Each scenario (bench/scenarios/)
 * mints what it needs in its factory and keeps its own state; the runner only knows this shape.
 */

export type SeriesKey =
  | "bare"
  | "verify"
  | "me"
  | "me-fresh"
  | "refresh"
  | "logout"
  | "login"
  | "login-wasm"
  | "register"
  | "me-under-login"
  | "login-under-me";

export type SeriesInfo = Pick<SeriesSummary, "key" | "label" | "target" | "request" | "connections">;

export interface Scenario {
  /** Series measured by one run of this scenario. */
  series: SeriesInfo[];
  /** Hashing scenarios leave jobs queued when the load stops; give the hasher time to drain. */
  settleMs: number;
  /** One autocannon run of `seconds`; `measured` is false for the warm-up, whose figures are dropped. */
  run(seconds: number, measured: boolean): Promise<Partial<Record<SeriesKey, HttpRun>>>;
}

/** What every scenario factory is given; read-only, so no scenario can change what another sees. */
export interface ScenarioContext {
  readonly serviceUrl: string;
  readonly yardstickUrl: string;
  /** Connections for the routes that do not hash, and for /login and /register. */
  readonly connections: number;
  readonly hashConnections: number;
  /** Users (tokens, accounts) a scenario cycles over. */
  readonly users: number;
  readonly fixtures: Fixtures;
  readonly log: (line: string) => void;
}

export interface SeriesSummary {
  key: SeriesKey;
  label: string;
  target: "service" | "yardstick";
  request: string;
  connections: number;
  runs: HttpRun[];
  /** Medians over the runs. */
  okPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Each median as a ratio to the same median of the yardsticks (throughput: higher is better). */
  ratios: {
    okPerSecondToBare: number;
    okPerSecondToVerify: number;
    p50ToBare: number;
    p50ToVerify: number;
    p99ToBare: number;
    p99ToVerify: number;
  };
  notes: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RunScenariosOptions extends Pick<BenchOptions, "runs" | "durationSeconds" | "warmupSeconds"> {
  /** Checked after every run: a server that died leaves only connection errors behind. */
  servers: ChildServer[];
  log: (line: string) => void;
}

/**
 * Each round runs every scenario once; rounds interleave the scenarios so that drift (thermal, noisy
 * neighbours) spreads over all of them instead of landing on one, and ratios are taken between
 * figures of the same rounds. The first round gives each scenario its warm-up just before its run.
 */
export async function runScenarios(scenarios: readonly Scenario[], options: RunScenariosOptions): Promise<SeriesSummary[]> {
  const { log, servers } = options;
  const seconds = options.durationSeconds;
  const assertAlive = () => servers.forEach((server) => server.assertAlive());
  const collected = new Map<SeriesKey, HttpRun[]>();
  for (let round = 0; round < options.runs; round++) {
    const warmup = round === 0 && options.warmupSeconds > 0;
    log(`round ${round + 1}/${options.runs} (${seconds} s per scenario${warmup ? `, ${options.warmupSeconds} s warm-up each` : ""})`);
    for (const scenario of scenarios) {
      if (warmup) {
        await scenario.run(options.warmupSeconds, false);
        assertAlive();
        await sleep(scenario.settleMs);
      }
      const result = await scenario.run(seconds, true);
      assertAlive();
      for (const [key, run] of Object.entries(result) as Array<[SeriesKey, HttpRun]>) {
        collected.set(key, [...(collected.get(key) ?? []), run]);
        log(describeRun(key, run));
      }
      await sleep(scenario.settleMs);
    }
  }
  // A scenario without a single success measured nothing; better no results than wrong ones.
  for (const [key, runs] of collected) {
    if (runs.every((run) => run.ok === 0)) {
      throw new Error(`${key}: no 2xx response in any run (${JSON.stringify(runs.map((run) => run.statusCodes))}, ${runs[0]?.errors ?? 0} errors)`);
    }
  }
  return summarise(scenarios, collected);
}

function describeRun(key: SeriesKey, run: HttpRun): string {
  const extra = [
    run.non2xx ? `${run.non2xx} non-2xx ${JSON.stringify(run.statusCodes)}` : "",
    run.errors ? `${run.errors} errors (${run.timeouts} timeouts)` : "",
    run.poolExhausted ? `${run.poolExhausted} without a fresh token` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return (
    `  ${key.padEnd(15)} ${formatNumber(run.okPerSecond).padStart(8)} req/s  p50 ${formatNumber(run.p50Ms).padStart(6)} ms  ` +
    `p99 ${formatNumber(run.p99Ms).padStart(6)} ms${extra ? `  (${extra})` : ""}`
  );
}

function medians(runs: HttpRun[]) {
  return {
    okPerSecond: median(runs.map((run) => run.okPerSecond)),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
  };
}

function summarise(scenarios: readonly Scenario[], collected: Map<SeriesKey, HttpRun[]>): SeriesSummary[] {
  const bare = medians(collected.get("bare") ?? []);
  const verify = medians(collected.get("verify") ?? []);
  return scenarios.flatMap((scenario) =>
    scenario.series.map((info) => {
      const runs = collected.get(info.key) ?? [];
      const m = medians(runs);
      const notes: string[] = [];
      const non2xx = runs.reduce((sum, run) => sum + run.non2xx, 0);
      const errors = runs.reduce((sum, run) => sum + run.errors, 0);
      const exhausted = runs.reduce((sum, run) => sum + (run.poolExhausted ?? 0), 0);
      if (non2xx) notes.push(`${non2xx} non-2xx responses over ${runs.length} run(s)`);
      if (errors) notes.push(`${errors} connection errors/timeouts`);
      if (exhausted) notes.push(`${exhausted} requests had to reuse a token (the pre-made pool ran dry)`);
      return {
        ...info,
        runs,
        ...m,
        ratios: {
          okPerSecondToBare: m.okPerSecond / bare.okPerSecond,
          okPerSecondToVerify: m.okPerSecond / verify.okPerSecond,
          p50ToBare: m.p50Ms / bare.p50Ms,
          p50ToVerify: m.p50Ms / verify.p50Ms,
          p99ToBare: m.p99Ms / bare.p99Ms,
          p99ToVerify: m.p99Ms / verify.p99Ms,
        },
        notes,
      };
    }),
  );
}

/**
 * A scenario that spends one pre-made item (token, session) per request sizes its pool from the
 * fastest of its own runs so far, warm-up included, and never below this: above what /me, /logout
 * and a never-seen token's /me reach on this kind of machine (1.5k req/s on Node, 3-4k on Bun;
 * bench/RESULTS.md), so a first run, a cold warm-up or a smoke run without one still finds enough.
 * A pool that runs dry anyway is counted in the run and noted in the report.
 */
export const MIN_EXPECTED_RATE = 5_000;

/** Requests per second to mint a pool for. */
export function expectedRate(fastestSoFar: number): number {
  return Math.max(fastestSoFar, MIN_EXPECTED_RATE);
}
