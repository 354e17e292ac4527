import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { createAccessTokensFromConfig, createHmacSigningKeys } from "../../src/tokens/jwt.js";
import type { Database } from "../../src/db/database.js";
import { loggableError } from "../../src/lib/loggable-error.js";
import { users as usersTable } from "../../src/db/schema.js";
import { testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient } from "../helpers/test-app.js";
import { createCapturingLogger, scanAll, uniqueEmail } from "./support.js";

/**
 * No secret ever leaks: the service's log output at level trace, through full register / login /
 * refresh / logout flows with their failures, holds no password, refresh token, access token or
 * signing secret; nor do the database tables or the Redis keys and values. The app signs with
 * HS256 here so that the signing secret is a string the test can look for.
 */
const HS256_SECRET = `hs256-signing-secret-${crypto.randomUUID()}-${crypto.randomUUID()}`;

/** Every SQL table of the app, each row as JSON text: what a database dump would show. */
async function dumpDatabase(db: Database): Promise<string> {
  const rowsOf = (result: unknown) => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, unknown>>;
  const tables = rowsOf(await db.execute(sql.raw("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'"))).map(
    (row) => String(row.table_name),
  );
  expect(tables).toEqual(expect.arrayContaining(["users", "sessions", "spent_refresh_tokens"]));
  const dump: string[] = [];
  for (const table of tables) {
    for (const row of rowsOf(await db.execute(sql.raw(`select row_to_json(t)::text as row from "${table}" t`)))) dump.push(`${table}: ${String(row.row)}`);
  }
  return dump.join("\n");
}

/** Every key under the prefix with its value, whatever its type. */
async function dumpRedis(testApp: TestApp): Promise<string> {
  const { client, keyPrefix } = testApp.redis!;
  const dump: string[] = [];
  for (const key of await scanAll(client, `${keyPrefix}*`)) {
    const type = await client.type(key);
    const value =
      type === "string" ? await client.get(key)
      : type === "hash" ? await client.hgetall(key)
      : type === "set" ? await client.smembers(key)
      : type === "zset" ? await client.zrange(key, "0", "-1", "WITHSCORES")
      : type === "list" ? await client.lrange(key, 0, -1)
      : `(${type})`;
    dump.push(`${key} (${type}): ${JSON.stringify(value)}`);
  }
  return dump.join("\n");
}

function describeNoSecretLeaks(backend: BackendName) {
  describe(`no secret leaks (${backend})`, () => {
    let testApp: TestApp;
    let client: TestClient;
    let logs: () => string;
    /** Everything that must never appear: passwords, tokens (and their secret parts), the signing secret. */
    const secrets = new Set<string>([HS256_SECRET]);
    const emails: string[] = [];
    let hasPasswordChange = false;

    const remember = (pair: { access_token?: string; refresh_token?: string }) => {
      if (pair.access_token) {
        secrets.add(pair.access_token);
        secrets.add(pair.access_token.split(".")[2]!); // the signature alone
      }
      if (pair.refresh_token) {
        secrets.add(pair.refresh_token);
        secrets.add(pair.refresh_token.slice(24)); // the part that encodes only the 256-bit secret
      }
    };
    const password = (text: string) => {
      secrets.add(text);
      return text;
    };

    beforeAll(async () => {
      const capture = createCapturingLogger("trace");
      logs = capture.output;
      testApp = await createTestApp({ backend, logger: capture.logger, env: { LOGIN_THROTTLE: "3/15m", LOG_LEVEL: "trace" } });
      const accessTokens = createAccessTokensFromConfig(testApp.config, await createHmacSigningKeys(HS256_SECRET));
      client = inProcessClient(createApp({ ...testApp.deps, accessTokens }));
      const doc = (await client.request("GET", "/doc")).body;
      hasPasswordChange = Boolean(doc.paths["/me/password"]?.post);
      await runFlows();
    });
    afterAll(async () => {
      await testApp?.cleanup();
    });

    async function runFlows() {
      const email = uniqueEmail("leaks");
      emails.push(email);
      const first = password(`first Pässwörd ${crypto.randomUUID()}`);
      const second = password(`second password ${crypto.randomUUID()}`);
      const wrong = password(`wrong password ${crypto.randomUUID()}`);
      const short = password("s3cr!t7");
      const post = (path: string, json: unknown) => client.request("POST", path, { json });

      // Register: success, duplicate, invalid.
      expect((await post("/register", { email, password: first, name: "Leak Tester" })).status).toBe(201);
      expect((await post("/register", { email: email.toUpperCase(), password: first })).status).toBe(409);
      expect((await post("/register", { email: uniqueEmail("short"), password: short })).status).toBe(400);
      // Malformed JSON carrying a password, and an oversized body carrying one.
      const malformed = await client.request("POST", "/login", { body: `{"email":"${email}","password":"${first}"`, headers: { "content-type": "application/json" } });
      expect(malformed.status).toBe(400);
      expect((await client.request("POST", "/login", { body: JSON.stringify({ email, password: first, pad: "x".repeat(20_000) }), headers: { "content-type": "application/json" } })).status).toBe(413);

      // Login: wrong passwords until throttled, an unknown email, then success.
      for (let i = 0; i < 3; i++) expect((await post("/login", { email, password: wrong })).status).toBe(401);
      expect((await post("/login", { email, password: first })).status).toBe(429);
      expect((await post("/login", { email: uniqueEmail("ghost"), password: first })).status).toBe(401);
      testApp.clock.advance(30);
      const login = await post("/login", { email, password: first });
      expect(login.status).toBe(200);
      remember(login.body);

      // /me with the token, a tampered one, a refresh token, an expired one.
      const access = login.body.access_token as string;
      expect((await client.request("GET", "/me", { token: access })).status).toBe(200);
      expect((await client.request("GET", "/me", { token: `${access.slice(0, -4)}AAAA` })).status).toBe(401);
      expect((await client.request("GET", "/me", { token: login.body.refresh_token })).status).toBe(401);
      testApp.clock.advance(1000);
      expect((await client.request("GET", "/me", { token: access })).status).toBe(401);
      testApp.clock.advance(-1000);

      // Refresh: rotation, a retry within grace, reuse after it (which revokes the session).
      const refreshed = await post("/refresh", { refresh_token: login.body.refresh_token });
      expect(refreshed.status).toBe(200);
      remember(refreshed.body);
      const retried = await post("/refresh", { refresh_token: login.body.refresh_token });
      expect(retried.body.refresh_token).toBe(refreshed.body.refresh_token);
      testApp.clock.advance(11);
      expect((await post("/refresh", { refresh_token: login.body.refresh_token })).status).toBe(401);
      expect((await post("/refresh", { refresh_token: refreshed.body.refresh_token })).status).toBe(401);

      // A new session; a password change where the service has one; logout, twice, and of garbage.
      const again = await post("/login", { email, password: first });
      expect(again.status).toBe(200);
      remember(again.body);
      let current = first;
      if (hasPasswordChange) {
        const changed = await client.request("POST", "/me/password", { json: { current_password: first, new_password: second }, token: again.body.access_token });
        expect(changed.status).toBe(204);
        const wrongChange = await client.request("POST", "/me/password", { json: { current_password: wrong, new_password: second }, token: again.body.access_token });
        expect(wrongChange.status).toBeGreaterThanOrEqual(400);
        current = second;
      }
      const last = await post("/login", { email, password: current });
      expect(last.status).toBe(200);
      remember(last.body);
      const lastRefresh = await post("/refresh", { refresh_token: last.body.refresh_token });
      remember(lastRefresh.body);
      expect((await post("/logout", { refresh_token: lastRefresh.body.refresh_token })).status).toBe(204);
      expect((await post("/logout", { refresh_token: lastRefresh.body.refresh_token })).status).toBe(204);
      expect((await post("/logout", { refresh_token: "not a token at all" })).status).toBe(204);
    }

    function expectNoSecretIn(text: string, where: string) {
      for (const secret of secrets) expect(text.includes(secret), `${where} holds a secret (${secret.slice(0, 6)}…)`).toBe(false);
      expect(text, where).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    }

    it("ran the flows and logged them (the check below is not vacuous)", () => {
      const output = logs();
      expect(secrets.size).toBeGreaterThan(15);
      expect(output).toContain('"msg":"request"');
      expect(output).toContain('"route":"/login"');
      expect(output).toContain('"status":429');
      expect(output.split("\n").length).toBeGreaterThan(30);
    });

    it("logs no password, token or signing secret, at level trace", () => {
      expectNoSecretIn(logs(), "the log");
    });

    it("keeps no password or token in clear in any database table", async () => {
      const dump = await dumpDatabase(testApp.database.db);
      expect(dump).toContain(emails[0]!);
      expect(dump).toMatch(/\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/); // only the hash
      expectNoSecretIn(dump, "the database");
    });

    it("logs errors without their query parameters: a failed INSERT into users does not log the password hash", async () => {
      const hash = `$argon2id$v=19$m=19456,t=2,p=1$${"c2FsdHNhbHRzYWx0c2FsdA"}$${crypto.randomUUID()}`;
      // An id that is no UUID: a real driver error, carrying the row's values.
      const failure = await testApp.database.db
        .insert(usersTable)
        .values({ id: "not-a-uuid", email: uniqueEmail("bad"), passwordHash: hash })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(Error);
      expect(JSON.stringify({ message: (failure as Error).message, ...(failure as object) })).toContain(hash); // the raw error holds it
      const logged = JSON.stringify(loggableError(failure));
      expect(logged).not.toContain(hash);
      expect(logged).toContain("insert into");
      expect(logged).toContain("[omitted]");
    });

    if (backend === "postgres+redis") it("keeps no password, token or email in clear in any Redis key or value", async () => {
      const dump = await dumpRedis(testApp);
      expect(dump).toMatch(/session/); // sessions, rate limits and throttle counters are there...
      expect(dump).toMatch(/login-throttle/);
      expectNoSecretIn(dump, "Redis"); // ...but none of the secrets
      for (const email of emails) expect(dump).not.toContain(email);
    });
  });
}

describeNoSecretLeaks("pglite");
describe.runIf(Boolean(testDatabaseUrl && testRedisUrl))("with TEST_DATABASE_URL and TEST_REDIS_URL", () => {
  describeNoSecretLeaks("postgres+redis");
});
