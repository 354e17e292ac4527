/**
 * The HTTP contract suite against a real Bun.serve listener, run by `bun test` (Bun maps the
 * suite's `vitest` imports onto bun:test). CI runs it with TEST_DATABASE_URL and TEST_REDIS_URL:
 *   npx bun test ./test/bun/
 * Named .spec.ts so that vitest (which runs *.test.ts) leaves it to bun test.
 */
import { describeHttpContract } from "../contracts/http.contract.js";
import { createTestApp } from "../helpers/test-app.js";
import { bunBackend, bunClient } from "./bun-client.js";

const backend = bunBackend;

describeHttpContract(`Bun.serve, ${backend}`, async (env) => {
  const testApp = await createTestApp({ backend, env });
  return { testApp, client: bunClient((request) => testApp.app.fetch(request)) };
});
