import { describe, expect, it } from "vitest";
import { createOneTimeToken, hashOneTimeToken, isOneTimeTokenShape } from "../../src/recovery/one-time-token.js";
import { createSqlOneTimeTokenStore } from "../../src/recovery/sql-token-store.js";
import { describeOneTimeTokenStoreContract } from "../contracts/one-time-token-store.contract.js";
import { createTestPglite, createTestPostgres, sqlStoreContext, testDatabaseUrl } from "../helpers/backends.js";

describeOneTimeTokenStoreContract("SQL on PGlite", async () => sqlStoreContext(await createTestPglite(), createSqlOneTimeTokenStore));

describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describeOneTimeTokenStoreContract("SQL on PostgreSQL", async () => sqlStoreContext(await createTestPostgres(), createSqlOneTimeTokenStore));
});

describe("one-time tokens", () => {
  it("carry 256 random bits as 43 base64url characters, and the stored hash is not the token", async () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => createOneTimeToken()));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(isOneTimeTokenShape(token)).toBe(true);
    const [token] = tokens;
    const hash = await hashOneTimeToken(token!);
    expect(hash).not.toContain(token!);
    expect(hash).toBe(await hashOneTimeToken(token!));
    expect(isOneTimeTokenShape(`${token!.slice(0, 42)}`)).toBe(false);
  });
});
