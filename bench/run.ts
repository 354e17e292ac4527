import { mkdtemp } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runHttp } from "./http.bench.js";
import { buildServiceIfNeeded } from "./lib/servers.js";
import { runMicro } from "./micro.bench.js";
import { loadBenchOptions, machine, runtimeName, runtimeVersion } from "./lib/options.js";
import { checkTargets, commitOf, packageVersions, writeResults, type RuntimeResults } from "./lib/report.js";
import { formatNumber } from "./lib/stats.js";

/**
 * The whole suite: microbenchmarks, then the HTTP load run, then bench/RESULTS.md and
 * bench/results.json. `npm run bench` (Node, via tsx) or `npm run bench:bun`.
 *
 * BENCH_SMOKE=1 runs everything briefly (~1 s per scenario, one round) and, unless BENCH_OUT_DIR says
 * otherwise, writes to a temporary directory so a smoke run never replaces real results.
 * Other knobs: BENCH_DURATION, BENCH_RUNS, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_HASH_CONNECTIONS,
 * BENCH_USERS, BENCH_ONLY, BENCH_JWT_ALG, BENCH_SESSION_STORE, BENCH_LOG_LEVEL, BENCH_SKIP_BUILD,
 * BENCH_DATABASE_URL / TEST_DATABASE_URL, BENCH_REDIS_URL / TEST_REDIS_URL (see bench/lib/options.ts).
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const options = loadBenchOptions();
const started = performance.now();
const loadAtStart = loadavg();
const name = runtimeName();
const header = `auth-service benchmarks on ${name} ${runtimeVersion()}${options.smoke ? " (smoke)" : ""}`;
const { cpuModel, cores } = machine();
console.log(`${header}\n${cpuModel}, ${cores} cores (shared by the servers and the load generator)`);
console.log(`load average ${loadAtStart.map((v) => v.toFixed(2)).join(" ")}${loadAtStart[0]! > cores / 2 ? "  (the machine is busy: expect depressed figures)" : ""}\n`);

buildServiceIfNeeded(options);
console.log("== microbenchmarks ==");
const micro = await runMicro(options);
console.log(`\n== HTTP load (${options.runs} x ${options.durationSeconds} s per scenario) ==`);
const http = await runHttp({ ...options, skipBuild: true });

const results: RuntimeResults = {
  runtime: { name, version: runtimeVersion() },
  date: new Date().toISOString(),
  smoke: options.smoke,
  machine: machine(),
  commit: commitOf(ROOT),
  packages: packageVersions(ROOT),
  options: {
    durationSeconds: options.durationSeconds,
    runs: options.runs,
    warmupSeconds: options.warmupSeconds,
    connections: options.connections,
    hashConnections: options.hashConnections,
    users: options.users,
  },
  micro,
  http,
  targets: checkTargets(micro, http),
  elapsedSeconds: (performance.now() - started) / 1000,
  loadAverage: { start: loadAtStart, end: loadavg() },
};

const outDir =
  process.env.BENCH_OUT_DIR || (options.smoke ? await mkdtemp(join(tmpdir(), "auth-service-bench-smoke-")) : join(ROOT, "bench"));
const written = await writeResults(outDir, results);

const figure = (key: string) => http.series.find((s) => s.key === key);
console.log(`\n== headline (${name}) ==`);
for (const key of ["login", "login-wasm", "me", "me-fresh", "me-under-login", "bare", "verify"]) {
  const s = figure(key);
  if (s) console.log(`  ${s.label.padEnd(52)} ${formatNumber(s.okPerSecond).padStart(8)} req/s  p99 ${formatNumber(s.p99Ms)} ms`);
}
for (const t of results.targets) console.log(`  [${t.met === null ? " - " : t.met ? "met" : "MISS"}] ${t.target}: ${t.measured}`);
console.log(`\nwrote ${written.markdown} and ${written.json} in ${results.elapsedSeconds.toFixed(0)} s`);
// Worker threads, sockets and timers of the libraries are all closed, but exit explicitly anyway:
// a stray handle must not keep CI waiting.
process.exit(0);
