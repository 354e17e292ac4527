import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Before each test, every test clock back to now: no test depends on an earlier one's clock.
    setupFiles: ["test/setup/fresh-clocks.ts"],
    testTimeout: 30_000,
    // Room for a server process's start (test/helpers/server-process.ts: up to 90 s on a busy machine).
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores: Argon2 in workers and the databases already use them.
    maxWorkers: 2,
    allowOnly: false,
    // The default output, then how many tests were skipped and why.
    reporters: ["default", "./test/skipped-summary-reporter.ts"],
  },
});
