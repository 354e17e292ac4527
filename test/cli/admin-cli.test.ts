import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { createApp } from "../../src/app.js";
import { openMail } from "../../src/bootstrap.js";
import { compose } from "../../src/compose.js";
import { loadConfig } from "../../src/config.js";
import { createPgliteDatabase, MIGRATIONS_FOLDER, type DatabaseHandle } from "../../src/db/database.js";
import { createArgon2idHasher } from "../../src/password/hasher.js";
import { createAsymmetricSigningKeys, generateSigningJwk, type SigningKeys } from "../../src/tokens/jwt.js";
import { createSqlSecurityEventStore } from "../../src/events/sql-store.js";
import { createSqlUserStore } from "../../src/users/sql-store.js";
import { createTestPostgres, testDatabaseUrl } from "../helpers/backends.js";
import { PASSWORD } from "../helpers/flows.js";
import { FAST_ARGON2_PARAMS, GENEROUS_LIMITS_ENV } from "../helpers/test-app.js";

const run = promisify(execFile);
const ROOT = new URL("../..", import.meta.url).pathname;

/** Runs the built CLI as an operator would (`node dist/cli/admin.js …`, what `npm run admin --` runs). */
async function admin(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["dist/cli/admin.js", ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: "production", LOG_LEVEL: "silent", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

async function seedUser(db: Parameters<typeof createSqlUserStore>[0]["db"], email: string) {
  const user = await createSqlUserStore({ db }).create({ id: crypto.randomUUID(), email, name: null, passwordHash: "x" });
  return user!.id;
}

/** The service over `database`, wired by the production composition root; the same keys across "restarts". */
async function appOver(database: DatabaseHandle, signingKeys: SigningKeys) {
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", ...GENEROUS_LIMITS_ENV });
  const logger = pino({ level: "silent" });
  const mail = await openMail(config, logger);
  const { deps } = compose(config, { database, hasher: createArgon2idHasher(FAST_ARGON2_PARAMS), signingKeys, ...mail }, { logger });
  return createApp(deps);
}

/** Registers `email`, makes it an admin in the database and returns a token whose claim says admin. */
async function adminToken(app: ReturnType<typeof createApp>, database: DatabaseHandle, email: string): Promise<string> {
  const post = (path: string) => app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
  const registered = (await (await post("/register")).json()) as { id: string };
  await createSqlUserStore({ db: database.db }).update(registered.id, { roles: ["user", "admin"] });
  return ((await (await post("/login")).json()) as { access_token: string }).access_token;
}

const listUsers = (app: ReturnType<typeof createApp>, token: string) => app.request("/admin/users", { headers: { authorization: `Bearer ${token}` } });

// Each case starts the built CLI several times, and each start opens an embedded PGlite and runs
// its migrations: seconds apiece on a loaded 2-core machine, so a test may take more than 30 s.
describe("npm run admin -- grant|revoke <email> [role]", { timeout: 120_000 }, () => {
  const dataDirs: string[] = [];
  afterAll(async () => {
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  it("grants and revokes admin on the embedded database, recording the change, without a signing key in production", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "auth-admin-cli-"));
    dataDirs.push(dataDir);
    const setup = await createPgliteDatabase({ dataDir: join(dataDir, "pglite") });
    await setup.migrate(MIGRATIONS_FOLDER);
    const userId = await seedUser(setup.db, "first.admin@example.com");
    await setup.close();

    const granted = await admin(["grant", "First.Admin@example.com"], { DATA_DIR: dataDir });
    expect(granted).toMatchObject({ code: 0, stdout: expect.stringContaining("roles user, admin") });
    const revokedSupport = await admin(["grant", "first.admin@example.com", "support"], { DATA_DIR: dataDir });
    expect(revokedSupport.code).toBe(0);
    expect((await admin(["revoke", "first.admin@example.com", "support"], { DATA_DIR: dataDir })).code).toBe(0);

    const check = await createPgliteDatabase({ dataDir: join(dataDir, "pglite") });
    try {
      expect((await createSqlUserStore({ db: check.db }).findById(userId))!.roles).toEqual(["user", "admin"]);
      const events = await createSqlSecurityEventStore({ db: check.db }).listByUser(userId, 10);
      expect(events.map((event) => event.type)).toEqual(["roles_changed", "roles_changed", "roles_changed"]);
      expect(events.at(-1)!.details).toEqual({ from: ["user"], to: ["user", "admin"], via: "cli" });
    } finally {
      await check.close();
    }
  });

  it("fails clearly for an unknown email, a bad role or bad usage", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "auth-admin-cli-"));
    dataDirs.push(dataDir);
    const unknown = await admin(["grant", "nobody@example.com"], { DATA_DIR: dataDir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no user with email nobody@example.com");
    expect((await admin(["grant", "a@example.com", "Bad Role"], { DATA_DIR: dataDir })).code).toBe(2);
    const usage = await admin(["promote"], { DATA_DIR: dataDir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage:");
  });

  it.runIf(Boolean(testDatabaseUrl))("grants admin on PostgreSQL (DATABASE_URL)", async () => {
    const database = await createTestPostgres();
    try {
      const userId = await seedUser(database.value.db, "pg.admin@example.com");
      const granted = await admin(["grant", "pg.admin@example.com"], { DATABASE_URL: database.url });
      expect(granted.code).toBe(0);
      expect((await createSqlUserStore({ db: database.value.db }).findById(userId))!.roles).toEqual(["user", "admin"]);
    } finally {
      await database.cleanup();
    }
  });

  it("after revoke on the embedded database, the revoked admin's old token is refused on the admin API when the service starts again", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "auth-admin-cli-"));
    dataDirs.push(dataDir);
    const signingKeys = await createAsymmetricSigningKeys([await generateSigningJwk()]);
    const first = await createPgliteDatabase({ dataDir: join(dataDir, "pglite") });
    await first.migrate(MIGRATIONS_FOLDER);
    const token = await adminToken(await appOver(first, signingKeys), first, "revoked.embedded@example.com");
    expect((await listUsers(await appOver(first, signingKeys), token)).status).toBe(200);
    await first.close(); // PGlite has one owner: the operator stops the service to run the CLI.

    expect((await admin(["revoke", "revoked.embedded@example.com"], { DATA_DIR: dataDir })).code).toBe(0);
    const again = await createPgliteDatabase({ dataDir: join(dataDir, "pglite") });
    try {
      const response = await listUsers(await appOver(again, signingKeys), token);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { code: string }).code).toBe("INSUFFICIENT_ROLE");
    } finally {
      await again.close();
    }
  });

  it.runIf(Boolean(testDatabaseUrl))("after revoke on PostgreSQL, the running service refuses the revoked admin's old token at once", async () => {
    const database = await createTestPostgres();
    try {
      const app = await appOver(database.value, await createAsymmetricSigningKeys([await generateSigningJwk()]));
      const token = await adminToken(app, database.value, "revoked.pg@example.com");
      expect((await listUsers(app, token)).status).toBe(200);
      expect((await admin(["revoke", "revoked.pg@example.com"], { DATABASE_URL: database.url })).code).toBe(0);
      const response = await listUsers(app, token);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { code: string }).code).toBe("INSUFFICIENT_ROLE");
    } finally {
      await database.cleanup();
    }
  });
});

describe("npm run admin -- client create|list|delete", { timeout: 120_000 }, () => {
  const dataDirs: string[] = [];
  afterAll(async () => {
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  it("registers a confidential client on the embedded database, printing its secret once, lists it and deletes it", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "auth-admin-cli-"));
    dataDirs.push(dataDir);
    const args = ["client", "create", "--name", "Web app", "--type", "confidential", "--redirect-uri", "https://app.example/cb", "--post-logout-redirect-uri", "https://app.example/", "--grant", "authorization_code", "--grant", "refresh_token", "--scope", "openid profile email offline_access", "--first-party"];
    const created = await admin(args, { DATA_DIR: dataDir });
    expect(created.code, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout);
    expect(client).toMatchObject({ name: "Web app", type: "confidential", redirect_uris: ["https://app.example/cb"], post_logout_redirect_uris: ["https://app.example/"], scopes: ["openid", "profile", "email", "offline_access"], first_party: true, token_endpoint_auth_method: "client_secret_basic" });
    expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const listed = await admin(["client", "list"], { DATA_DIR: dataDir });
    expect(JSON.parse(listed.stdout).map((c: { client_id: string }) => c.client_id)).toEqual([client.client_id]);
    expect(listed.stdout).not.toContain(client.client_secret);
    expect((await admin(["client", "delete", client.client_id], { DATA_DIR: dataDir })).code).toBe(0);
    expect(JSON.parse((await admin(["client", "list"], { DATA_DIR: dataDir })).stdout)).toEqual([]);
  });

  it("refuses a client that breaks the rules, and bad usage", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "auth-admin-cli-"));
    dataDirs.push(dataDir);
    const insecure = await admin(["client", "create", "--name", "X", "--type", "public", "--redirect-uri", "http://app.example/cb"], { DATA_DIR: dataDir });
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toContain("loopback");
    const machine = await admin(["client", "create", "--name", "X", "--type", "public", "--grant", "client_credentials"], { DATA_DIR: dataDir });
    expect(machine.code).toBe(1);
    expect(machine.stderr).toContain("client_credentials is only for confidential clients");
    expect((await admin(["client", "delete", "unknown"], { DATA_DIR: dataDir })).code).toBe(1);
    expect((await admin(["client", "rename"], { DATA_DIR: dataDir })).stderr).toContain("usage:");
  });
});
