import { configDefaults, defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The suite as Stryker runs it (stryker.config.mjs): the same settings without the global setup,
 * which builds dist/, and without the tests that run the built dist/ in child processes: a mutant
 * lives in Stryker's sandbox src/, which those processes never load, so they could neither kill
 * nor be trusted to see one, and a build per run costs a minute on two cores.
 */
/** scripts/mutation.mjs names the test files that exercise the module under mutation. */
const only = process.env.MUTATION_TEST_FILES?.split(",").filter(Boolean);

export default defineConfig({
  test: {
    ...base.test,
    ...(only && { include: only }),
    globalSetup: [],
    exclude: [
      ...configDefaults.exclude,
      "test/e2e/**",
      "test/cli/**",
      "test/observability/observability-process.test.ts",
      "test/sessions/redis-cluster.test.ts",
      "test/security/slow-clients.security.test.ts",
    ],
  },
});
