import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The suite as Stryker runs it (stryker.config.mjs): the same settings without the global setup,
 * which builds dist/ for the end-to-end tests; no mutated module is reached through dist/, and a
 * build per Stryker run would cost a minute on two cores. Also handy for running a few test files.
 */
export default defineConfig({ test: { ...base.test, globalSetup: [] } });
