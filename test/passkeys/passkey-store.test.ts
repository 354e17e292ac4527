import { describe } from "vitest";
import { createSqlPasskeyStore } from "../../src/passkeys/sql-store.js";
import { describePasskeyStoreContract } from "../contracts/passkey-store.contract.js";
import { createTestPglite, createTestPostgres, sqlStoreContext, testDatabaseUrl } from "../helpers/backends.js";

describePasskeyStoreContract("SQL on PGlite", async () => sqlStoreContext(await createTestPglite(), createSqlPasskeyStore));

describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describePasskeyStoreContract("SQL on PostgreSQL", async () => sqlStoreContext(await createTestPostgres(), createSqlPasskeyStore));
});
