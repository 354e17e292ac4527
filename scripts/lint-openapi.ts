/**
 * `npm run lint:openapi`: the OpenAPI document as the app serves it at /doc, checked by two linters
 * nobody here wrote, Redocly (its `recommended` rules, redocly.yaml) and Spectral (`spectral:oas`,
 * .spectral.yaml). Any error or warning from either fails the run: a client developer's tools see
 * the same document, and a warning there (an undeclared header, an invalid example) is a wrong
 * promise to them.
 *
 * No server and no network: the app is built by the test wiring (the production composition root
 * over an in-memory PGlite) and asked for /doc in process; the document goes to a temporary file.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createTestApp } from "../test/helpers/test-app.js";

const root = resolve(import.meta.dirname, "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

/**
 * The issuer of a deployment (https, a public name), not the development default: Redocly rightly
 * warns of a published document whose server is localhost, which is what /doc says in development.
 * `.test` is reserved for testing (RFC 2606).
 */
const DEPLOYED_ISSUER = "https://auth-service.test";

/**
 * The document changes with the config in one place only, /metrics: open in development, behind
 * METRICS_TOKEN (its own security scheme and a 401) in production. Both forms are linted.
 */
const VARIANTS: Record<string, Record<string, string>> = {
  "metrics-open": { JWT_ISSUER: DEPLOYED_ISSUER },
  "metrics-token": { JWT_ISSUER: DEPLOYED_ISSUER, METRICS_TOKEN: "lint-only-metrics-token-0123456789" },
};

async function dumpDocument(file: string, env: Record<string, string>): Promise<void> {
  const testApp = await createTestApp({ env });
  try {
    const response = await testApp.app.request("/doc");
    if (response.status !== 200) throw new Error(`/doc answered ${response.status}`);
    writeFileSync(file, JSON.stringify(await response.json(), null, 2));
  } finally {
    await testApp.cleanup();
  }
}

interface Counts {
  errors: number;
  warnings: number;
}

function run(command: string, args: string[]): { status: number | null; stdout: string } {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    // Redocly asks for an update check and sends usage data unless told not to; CI is offline.
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout };
}

interface RedoclyProblem {
  ruleId: string;
  severity: "error" | "warn";
  message: string;
  location?: Array<{ pointer?: string }>;
}

/** One file a run: with several, Redocly prints one JSON report after another. */
function redocly(files: string[]): Counts {
  const counts = { errors: 0, warnings: 0 };
  for (const file of files) {
    const { stdout } = run(bin("redocly"), ["lint", file, "--config", join(root, "redocly.yaml"), "--format", "json"]);
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: RedoclyProblem[] };
    for (const problem of report.problems) {
      console.log(`  redocly ${problem.severity} ${problem.ruleId}: ${problem.message} (${file}${problem.location?.[0]?.pointer ?? ""})`);
    }
    counts.errors += report.totals.errors;
    counts.warnings += report.totals.warnings;
  }
  return counts;
}

interface SpectralResult {
  code: string;
  message: string;
  /** 0 error, 1 warn, 2 info, 3 hint. */
  severity: number;
  path: string[];
  source?: string;
}

function spectral(files: string[]): Counts {
  const { stdout } = run(bin("spectral"), ["lint", ...files, "--ruleset", join(root, ".spectral.yaml"), "--format", "json", "--quiet", "--fail-severity", "error"]);
  // Spectral prints "No results with a severity of 'error' found!" instead of [] when clean, in some versions.
  const results = (stdout.trim().startsWith("[") ? JSON.parse(stdout) : []) as SpectralResult[];
  const names = ["error", "warn", "info", "hint"];
  for (const result of results) {
    console.log(`  spectral ${names[result.severity]} ${result.code}: ${result.message} (${result.source ?? ""}#/${result.path.join("/")})`);
  }
  return { errors: results.filter((r) => r.severity === 0).length, warnings: results.filter((r) => r.severity === 1).length };
}

const dir = mkdtempSync(join(tmpdir(), "auth-service-openapi-"));
try {
  const files: string[] = [];
  for (const [name, env] of Object.entries(VARIANTS)) {
    const file = join(dir, `${name}.openapi.json`);
    await dumpDocument(file, env);
    files.push(file);
  }
  const counts = { redocly: redocly(files), spectral: spectral(files) };
  for (const [tool, { errors, warnings }] of Object.entries(counts)) {
    console.log(`${tool}: ${errors} errors, ${warnings} warnings (${Object.keys(VARIANTS).join(" and ")})`);
  }
  if (Object.values(counts).some(({ errors, warnings }) => errors + warnings > 0)) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
