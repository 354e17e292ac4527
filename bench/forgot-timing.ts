/**
 * Does POST /password/forgot take the same time for an address with an account and one without?
 * Starts the service as a process (tsx src/node.ts, embedded PGlite, the development outbox
 * directory as mailer, mail limits off), registers one account, then sends interleaved pairs
 * (known, unknown, in random order within each pair) and reports the median of the paired
 * differences (known - unknown) with a bootstrap 95% confidence interval.
 *
 *   npx tsx bench/forgot-timing.ts [pairs=100] [settle-ms=0]
 *
 * `settle-ms` pauses before each request, so that the work a known address starts after its answer
 * (lookup, token, outbox write) has finished and does not slow the request that follows it; with 0,
 * that spill-over is measured too (it lands on whichever request comes next).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const pairs = Number(process.argv[2] ?? 100);
const settleMs = Number(process.argv[3] ?? 0);
const port = 3900 + Math.floor(Math.random() * 90);
const base = `http://127.0.0.1:${port}`;
const dataDir = await mkdtemp(join(tmpdir(), "forgot-timing-"));

const server = spawn(process.execPath, ["--import", "tsx", "src/node.ts"], {
  env: {
    ...process.env,
    NODE_ENV: "development",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    LOG_FORMAT: "json",
    RATE_LIMIT_MAIL: "off",
    RATE_LIMIT_REGISTER: "off",
    MAIL_LIMIT_PER_ADDRESS: "off",
  },
  stdio: ["ignore", "ignore", "inherit"],
});

async function waitUntilUp(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the service did not start");
}

async function forgot(email: string): Promise<number> {
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  const started = performance.now();
  const response = await fetch(`${base}/password/forgot`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email }) });
  await response.arrayBuffer();
  const elapsed = performance.now() - started;
  if (response.status !== 202) throw new Error(`unexpected status ${response.status}`);
  return elapsed;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

try {
  await waitUntilUp();
  const known = `known-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const registered = await fetch(`${base}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: known, password: "correct horse battery staple" }) });
  if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
  // Warm-up: JIT, connection pool, the first outbox write.
  for (let i = 0; i < 20; i++) await forgot(i % 2 ? known : `warm-${i}@example.com`);

  const knownTimes: number[] = [];
  const unknownTimes: number[] = [];
  const differences: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const unknown = `nobody-${crypto.randomUUID().slice(0, 8)}@example.com`;
    let k: number;
    let u: number;
    if (Math.random() < 0.5) {
      k = await forgot(known);
      u = await forgot(unknown);
    } else {
      u = await forgot(unknown);
      k = await forgot(known);
    }
    knownTimes.push(k);
    unknownTimes.push(u);
    differences.push(k - u);
  }
  const resamples: number[] = [];
  for (let r = 0; r < 5000; r++) {
    const sample = Array.from({ length: differences.length }, () => differences[Math.floor(Math.random() * differences.length)]!);
    resamples.push(median(sample));
  }
  resamples.sort((a, b) => a - b);
  const ci = [resamples[Math.floor(0.025 * resamples.length)]!, resamples[Math.floor(0.975 * resamples.length)]!];
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  console.log(`pairs: ${pairs} (interleaved, random order within each pair), settle ${settleMs} ms before each request`);
  console.log(`median known: ${ms(median(knownTimes))}, median unknown: ${ms(median(unknownTimes))}`);
  console.log(`median difference (known - unknown): ${ms(median(differences))}, bootstrap 95% CI [${ms(ci[0]!)}, ${ms(ci[1]!)}]`);
} finally {
  server.kill("SIGTERM");
  await new Promise((resolve) => server.once("exit", resolve));
  await rm(dataDir, { recursive: true, force: true });
}
