import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The tests that drive a real browser (test/browser/*.browser.ts): `npm run test:browser`, apart
 * from `npm test` because they need Chromium (/usr/bin/chromium, Debian's package; .ci/run
 * installs it when missing). Same settings otherwise, including the global setup that builds dist/.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ["test/browser/**/*.browser.ts"],
    testTimeout: 120_000,
  },
});
