import { describe } from "vitest";
import type { DatabaseHandle } from "../../src/db/database.js";
import { createSqlPasskeyStore } from "../../src/passkeys/sql-store.js";
import { describePasskeyStoreContract } from "../contracts/passkey-store.contract.js";
import { createUserMaker, createTestPglite, createTestPostgres, testDatabaseUrl, type TestBackend } from "../helpers/backends.js";

function sqlContext(backend: TestBackend<DatabaseHandle>) {
  const { db } = backend.value;
  return { store: createSqlPasskeyStore({ db }), createUser: createUserMaker(db), cleanup: backend.cleanup };
}

describePasskeyStoreContract("SQL on PGlite", async () => sqlContext(await createTestPglite()));

describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describePasskeyStoreContract("SQL on PostgreSQL", async () => sqlContext(await createTestPostgres()));
});
