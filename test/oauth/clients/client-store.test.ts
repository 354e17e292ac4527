import { describe } from "vitest";
import { createSqlClientStore } from "../../../src/oauth/clients/sql-store.js";
import { describeClientStoreContract } from "../../contracts/client-store.contract.js";
import { createTestPglite, createTestPostgres, testDatabaseUrl, type TestBackend } from "../../helpers/backends.js";
import type { DatabaseHandle } from "../../../src/db/database.js";

const context = (backend: TestBackend<DatabaseHandle>) => ({ store: createSqlClientStore({ db: backend.value.db }), cleanup: backend.cleanup });

describeClientStoreContract("SQL on PGlite", async () => context(await createTestPglite()));

describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describeClientStoreContract("SQL on PostgreSQL", async () => context(await createTestPostgres()));
});
