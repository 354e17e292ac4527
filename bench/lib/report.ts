import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { HttpReport } from "../http.bench.js";
import { ARGON_IN_FLIGHT, hasherLabel, type MicroReport, type MicroResult } from "../micro.bench.js";
import { machine, type BenchOptions } from "./options.js";
import type { SeriesKey, SeriesSummary } from "./runner.js";
import { formatNs, formatNumber, formatRatio } from "./stats.js";

/**
 * bench/results.json and bench/RESULTS.md. Each runtime's run replaces its own entry and keeps the
 * other runtime's, so `npm run bench` and `npm run bench:bun` together give one side-by-side page.
 */

export const KEY_PACKAGES = [
  "hono",
  "@hono/node-server",
  "@hono/zod-openapi",
  "jose",
  "hash-wasm",
  "@node-rs/argon2",
  "drizzle-orm",
  "postgres",
  "@electric-sql/pglite",
  "ioredis",
  "autocannon",
  "mitata",
] as const;

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured by this run. */
  met: boolean | null;
}

export interface RuntimeResults {
  runtime: { name: "node" | "bun"; version: string };
  date: string;
  smoke: boolean;
  machine: ReturnType<typeof machine>;
  commit: string;
  packages: Record<string, string>;
  options: Pick<BenchOptions, "durationSeconds" | "runs" | "warmupSeconds" | "connections" | "hashConnections" | "users">;
  micro: MicroReport;
  http: HttpReport;
  targets: TargetCheck[];
  elapsedSeconds: number;
  /** os.loadavg() (1, 5, 15 min) when the run started and when it ended: other work on the machine skews every figure. */
  loadAverage?: { start: number[]; end: number[] };
}

export interface ResultsFile {
  schema: 1;
  runtimes: Partial<Record<"node" | "bun", RuntimeResults>>;
}

export function packageVersions(root: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of KEY_PACKAGES) {
    const path = join(root, "node_modules", name, "package.json");
    if (!existsSync(path)) continue;
    try {
      versions[name] = (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
    } catch {
      versions[name] = "unreadable";
    }
  }
  return versions;
}

/** The checked-out commit, marked when the working tree differs from it (read-only git commands). */
export function commitOf(root: string): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" });
  if (head.status !== 0) return "unknown";
  const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" });
  const dirty = status.status === 0 && status.stdout.trim() !== "";
  return `${head.stdout.trim()}${dirty ? " (with uncommitted changes)" : ""}`;
}

function series(http: HttpReport, key: SeriesKey): SeriesSummary | undefined {
  return http.series.find((s) => s.key === key);
}

function micro(report: MicroReport, name: string): MicroResult | undefined {
  return report.results.find((r) => r.name === name);
}

/** The four targets of issue 5, as far as one run can check them. */
export function checkTargets(microReport: MicroReport, http: HttpReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const login = series(http, "login");
  const target1 = "login throughput >= 0.85 x raw verify throughput of the hasher in use";
  const inUse = http.hasher ? micro(microReport, `${hasherLabel(http.hasher.implementation, http.hasher.concurrency)} verify x${ARGON_IN_FLIGHT}`) : undefined;
  if (login && inUse) {
    const ratio = login.okPerSecond / inUse.opsPerSecond;
    checks.push({
      target: target1,
      measured: `${formatNumber(login.okPerSecond)} logins/s vs ${formatNumber(inUse.opsPerSecond)} verifies/s (micro: ${inUse.name}) = ${formatRatio(ratio)}`,
      met: ratio >= 0.85,
    });
  } else {
    checks.push({ target: target1, measured: "not measured (no micro benchmark of the hasher the service used)", met: null });
  }
  const me = series(http, "me");
  const meUnderLogin = series(http, "me-under-login");
  if (me && meUnderLogin) {
    const ratio = meUnderLogin.p99Ms / me.p99Ms;
    checks.push({
      target: "/me p99 while logins saturate the hasher <= 2 x its idle p99",
      measured: `${formatNumber(meUnderLogin.p99Ms)} ms vs ${formatNumber(me.p99Ms)} ms = ${formatRatio(ratio)}`,
      met: ratio <= 2,
    });
  }
  const verify = series(http, "verify");
  for (const [s, how] of [
    [me, "tokens reused, as clients do: the verified-token cache hits"],
    [series(http, "me-fresh"), "a never-seen token each request: every one verified"],
  ] as const) {
    if (!s) continue;
    checks.push({
      target: `/me throughput >= 0.6 x the verify-only route (${how})`,
      measured: `${formatNumber(s.okPerSecond)} vs ${formatNumber(verify?.okPerSecond)} req/s = ${formatRatio(s.ratios.okPerSecondToVerify)}`,
      met: s.ratios.okPerSecondToVerify >= 0.6,
    });
  }
  const loginUnderMe = series(http, "login-under-me");
  if (login && loginUnderMe) {
    checks.push({
      target: "(context, no target) login throughput alongside the /me load, vs alone",
      measured: `${formatNumber(loginUnderMe.okPerSecond)} vs ${formatNumber(login.okPerSecond)} logins/s = ${formatRatio(loginUnderMe.okPerSecond / login.okPerSecond)}`,
      met: null,
    });
  }
  checks.push(...hasherThroughputs(microReport, http));
  return checks;
}

/**
 * Both hashers' throughput, for a deployer choosing PASSWORD_HASHER; context, not a target. (A
 * "native >= 4x wasm" target was retired: reusing the wasm instance made wasm faster, and the
 * ratio between the two says nothing a user needs.)
 */
function hasherThroughputs(microReport: MicroReport, http: HttpReport): TargetCheck[] {
  const width = http.hasher?.concurrency ?? Math.max(widestPool(microReport, "native"), widestPool(microReport, "wasm"));
  return (["native", "wasm"] as const).map((implementation) => {
    const verify = micro(microReport, `${hasherLabel(implementation, width)} verify x${ARGON_IN_FLIGHT}`);
    // The service's own /login runs the hasher it chose; with native, a second service runs wasm.
    const login = http.hasher?.implementation === implementation ? series(http, "login") : implementation === "wasm" ? series(http, "login-wasm") : undefined;
    const figures = [
      verify ? `${formatNumber(verify.opsPerSecond)} verifies/s (micro: ${verify.name})` : "",
      login ? `${formatNumber(login.okPerSecond)} logins/s (${login.label})` : "",
    ].filter(Boolean);
    return {
      target: `(context, no target) Argon2id throughput of the ${implementation} hasher`,
      measured: figures.join(", ") || "not measured here",
      met: null,
    };
  });
}

/** The widest pool of `implementation` the micro run measured (1 and all cores; 0 when none). */
function widestPool(report: MicroReport, implementation: "wasm" | "native"): number {
  const pattern = new RegExp(`^${implementation} pool\\((\\d+)\\) hash x${ARGON_IN_FLIGHT}$`);
  return Math.max(0, ...report.results.map((r) => Number(pattern.exec(r.name)?.[1] ?? 0)));
}

export function readResultsFile(path: string): ResultsFile {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as ResultsFile;
    if (parsed.schema === 1 && parsed.runtimes) return parsed;
  } catch {
    // Missing or from another version of this suite: start afresh.
  }
  return { schema: 1, runtimes: {} };
}

export async function writeResults(outDir: string, results: RuntimeResults): Promise<{ json: string; markdown: string }> {
  await mkdir(outDir, { recursive: true });
  const json = join(outDir, "results.json");
  const markdown = join(outDir, "RESULTS.md");
  const file = readResultsFile(json);
  file.runtimes[results.runtime.name] = results;
  await writeFile(json, `${JSON.stringify(file, null, 2)}\n`);
  await writeFile(markdown, renderMarkdown(file));
  return { json, markdown };
}

const ms = (value: number) => formatNumber(value);
const verdict = (met: boolean | null) => (met === null ? "–" : met ? "met" : "**missed**");

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The comparisons the micro figures exist for, spelled out. */
function derivedMicroRatios(report: MicroReport): string[] {
  const lines: string[] = [];
  const ops = (name: string) => micro(report, name)?.opsPerSecond;
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? a / b : undefined);
  const signKey = ratio(ops("HS256 jose sign x64 (CryptoKey)"), ops("HS256 jose sign x64 (raw bytes)"));
  const verifyKey = ratio(ops("HS256 jose verify x64 (CryptoKey)"), ops("HS256 jose verify x64 (raw bytes)"));
  if (signKey && verifyKey) {
    lines.push(`HS256 with an imported CryptoKey vs raw key bytes: sign ${formatRatio(signKey)}, verify ${formatRatio(verifyKey)} as fast`);
  }
  const n = ARGON_IN_FLIGHT;
  for (const impl of ["wasm", "native"] as const) {
    const width = widestPool(report, impl);
    if (width < 2) continue;
    const scaling = ratio(ops(`${hasherLabel(impl, width)} hash x${n}`), ops(`${hasherLabel(impl, 1)} hash x${n}`));
    if (scaling) lines.push(`Argon2id ${impl}, ${width} at once vs 1 (hash, ${n} in flight): ${formatRatio(scaling)} the throughput (${width}.00x would be perfect scaling)`);
  }
  const width = Math.max(widestPool(report, "native"), widestPool(report, "wasm"));
  const verifies = (["native", "wasm"] as const).map((impl) => [impl, ops(`${hasherLabel(impl, width)} verify x${n}`)] as const).filter(([, value]) => value);
  if (verifies.length > 0) {
    lines.push(`Argon2id verify, ${width} at once (${n} in flight): ${verifies.map(([impl, value]) => `${impl} ${formatNumber(value)}/s`).join(", ")}`);
  }
  for (const alg of ["HS256", "EdDSA", "ES256"]) {
    const batch = ratio(ops(`${alg} verify x64`), ops(`${alg} verify x1`));
    if (batch) lines.push(`${alg} verify, 64 in flight vs one at a time: ${formatRatio(batch)} the throughput`);
  }
  return lines;
}

function describeLoad(r: RuntimeResults): string {
  if (!r.loadAverage) return "not recorded";
  const { start, end } = r.loadAverage;
  const busy = (start[0] ?? 0) > r.machine.cores / 2;
  return (
    `load average (1/5/15 min) ${start.map((v) => v.toFixed(2)).join("/")} at the start, ` +
    `${end.map((v) => v.toFixed(2)).join("/")} at the end (this run's own load included)` +
    (busy ? "; **the machine was already busy when the run started: figures are depressed by other work**" : "")
  );
}

function runtimeLabel(r: RuntimeResults): string {
  return `${r.runtime.name === "node" ? "Node" : "Bun"} ${r.runtime.version}${r.smoke ? " (smoke)" : ""}`;
}

export function renderMarkdown(file: ResultsFile): string {
  const entries = (["node", "bun"] as const).map((name) => file.runtimes[name]).filter((r): r is RuntimeResults => !!r);
  const parts: string[] = [];
  parts.push("# auth-service benchmark results");
  parts.push(
    "Written by the benchmark run itself (`npm run bench` on Node, `npm run bench:bun` on Bun; each replaces its own " +
      "runtime's section here and in `results.json`, and keeps the other's). Do not edit by hand.",
  );
  const cores = entries[0]?.machine.cores;
  parts.push(
    `> **The load generator shares the cores.** This machine has ${cores ?? "?"} cores; autocannon runs in the benchmark ` +
      "process on the same cores as the service (its main thread and its hashing workers), so no figure below is a " +
      "ceiling of the service alone. Absolute figures drift (±15% between runs on this kind of machine); ratios taken " +
      "within one run, against the yardsticks measured in the same rounds, hold better.",
  );

  if (entries.length > 1) {
    const rows: Array<[string, (r: RuntimeResults) => string]> = [
      ["password hasher", (r) => (r.http.hasher ? `${r.http.hasher.implementation} x${r.http.hasher.concurrency}` : "–")],
      ["POST /login, logins/s", (r) => formatNumber(series(r.http, "login")?.okPerSecond)],
      ["POST /login with PASSWORD_HASHER=wasm, logins/s", (r) => formatNumber(series(r.http, "login-wasm")?.okPerSecond)],
      ["GET /me, req/s", (r) => formatNumber(series(r.http, "me")?.okPerSecond)],
      ["GET /me, p99 ms", (r) => ms(series(r.http, "me")?.p99Ms ?? Number.NaN)],
      ["GET /me with a never-seen token, req/s", (r) => formatNumber(series(r.http, "me-fresh")?.okPerSecond)],
      ["GET /me while logins saturate, req/s", (r) => formatNumber(series(r.http, "me-under-login")?.okPerSecond)],
      ["GET /me while logins saturate, p99 ms", (r) => ms(series(r.http, "me-under-login")?.p99Ms ?? Number.NaN)],
      ["/me ÷ verify-only route (req/s)", (r) => formatRatio(series(r.http, "me")?.ratios.okPerSecondToVerify)],
      ["yardstick bare route, req/s", (r) => formatNumber(series(r.http, "bare")?.okPerSecond)],
      ["yardstick verify-only route, req/s", (r) => formatNumber(series(r.http, "verify")?.okPerSecond)],
    ];
    parts.push("## Side by side");
    parts.push(table(["", ...entries.map(runtimeLabel)], rows.map(([label, get]) => [label, ...entries.map(get)])));
  }

  for (const r of entries) parts.push(renderRuntime(r));
  return `${parts.join("\n\n")}\n`;
}

function renderRuntime(r: RuntimeResults): string {
  const out: string[] = [];
  const { http } = r;
  out.push(`## ${runtimeLabel(r)}`);
  const env = Object.entries(http.service.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  out.push(
    table(
      ["", ""],
      [
        ["runtime", `${r.runtime.name} ${r.runtime.version}`],
        ["date", r.date],
        ["machine", `${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.platform}`],
        ["commit", r.commit],
        ["packages", Object.entries(r.packages).map(([name, version]) => `${name} ${version}`).join(", ")],
        ["backends", `PostgreSQL ${http.backends.postgres}, Redis ${http.backends.redis}; sessions in ${http.backends.sessionStore === "redis" ? "Redis" : "PostgreSQL"}, users in PostgreSQL`],
        ["service", `\`${http.service.command}\` (${env})`],
        ["yardsticks", `\`${http.yardstick.command}\`: a bare Hono JSON route, and a route that only verifies the access token (same key, same createAccessTokens, its verified-token cache off: one full signature check per request)`],
        [
          "method",
          `${http.runs} round(s) x ${http.durationSeconds} s per scenario, scenarios interleaved within each round` +
            `${http.warmupSeconds ? `, ${http.warmupSeconds} s unmeasured warm-up each before the first` : ""}; ` +
            `autocannon ${r.options.connections} connections (${r.options.hashConnections} for /login and /register), ` +
            `${r.options.users} users (\`GET /me\` cycles over their ${r.options.users} tokens, so a verified-token cache is warm; ` +
            `the "never-seen token" row mints a new token per request with the service's key); figures are medians over the rounds; req/s counts 2xx responses only; p50/p99 of 2xx latencies; ` +
            `the service's request log is ${["info", "debug", "trace"].includes(http.service.env.LOG_LEVEL ?? "") ? "on" : "off"} (LOG_LEVEL=${http.service.env.LOG_LEVEL}; BENCH_LOG_LEVEL sets it)`,
        ],
        ["machine load", describeLoad(r)],
        ["elapsed", `${r.elapsedSeconds.toFixed(0)} s in all (micro ${r.micro.elapsedSeconds.toFixed(0)} s, HTTP ${http.elapsedSeconds.toFixed(0)} s)`],
      ],
    ),
  );

  out.push("### HTTP");
  out.push(
    table(
      ["scenario", "request", "conns", "req/s", "p50 ms", "p99 ms", "req/s per run", "notes"],
      http.series.map((s) => [
        s.label,
        `\`${s.request}\``,
        String(s.connections),
        formatNumber(s.okPerSecond),
        ms(s.p50Ms),
        ms(s.p99Ms),
        s.runs.map((run) => formatNumber(run.okPerSecond)).join(", "),
        s.notes.join("; ") || "",
      ]),
    ),
  );
  out.push("### Ratios to the yardsticks (same rounds)");
  out.push(
    "Throughput ratios above 1 and latency ratios below 1 favour the scenario. `bare` is the ceiling of runtime + adapter + " +
      "load generator; `verify` adds exactly one access-token verification.",
  );
  out.push(
    table(
      ["scenario", "req/s ÷ bare", "req/s ÷ verify", "p50 ÷ bare", "p50 ÷ verify", "p99 ÷ bare", "p99 ÷ verify"],
      http.series
        .filter((s) => s.target === "service")
        .map((s) => [
          s.label,
          formatRatio(s.ratios.okPerSecondToBare),
          formatRatio(s.ratios.okPerSecondToVerify),
          formatRatio(s.ratios.p50ToBare),
          formatRatio(s.ratios.p50ToVerify),
          formatRatio(s.ratios.p99ToBare),
          formatRatio(s.ratios.p99ToVerify),
        ]),
    ),
  );
  out.push("### Targets (issue 5)");
  out.push(table(["target", "measured", "verdict"], r.targets.map((t) => [t.target, t.measured, verdict(t.met)])));

  out.push("### Microbenchmarks (mitata)");
  out.push(
    "ops/s = operations per iteration ÷ mean iteration time; `xN` rows keep N operations in flight (Promise.all) and time the whole batch.",
  );
  const derived = derivedMicroRatios(r.micro);
  if (derived.length > 0) out.push(derived.map((line) => `- ${line}`).join("\n"));
  out.push(
    table(
      ["group", "benchmark", "ops/s", "mean/iter", "p50/iter", "p99/iter", "samples"],
      r.micro.results.map((m) => [
        m.group,
        m.name,
        formatNumber(m.opsPerSecond),
        formatNs(m.avgNs),
        formatNs(m.p50Ns),
        formatNs(m.p99Ns),
        String(m.samples),
      ]),
    ),
  );
  return out.join("\n\n");
}
