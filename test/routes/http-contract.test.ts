import { describe } from "vitest";
import { describeHttpContract } from "../contracts/http.contract.js";
import { testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestApp, httpClient, inProcessClient, type BackendName } from "../helpers/test-app.js";

function contract(backend: BackendName, transport: "in-process" | "http") {
  return async (env?: Record<string, string>) => {
    const testApp = await createTestApp({ backend, env });
    const client = transport === "http" ? await httpClient(testApp.app) : inProcessClient(testApp.app);
    return { testApp, client };
  };
}

describeHttpContract("embedded PGlite, in-process", contract("pglite", "in-process"));

describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describeHttpContract("PostgreSQL sessions in SQL, in-process", contract("postgres", "in-process"));
});

describe.runIf(Boolean(testDatabaseUrl && testRedisUrl))("with TEST_DATABASE_URL and TEST_REDIS_URL", () => {
  describeHttpContract("PostgreSQL + Redis, real HTTP server", contract("postgres+redis", "http"));
});
