import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createPgliteDatabase, MIGRATIONS_FOLDER } from "../../src/db/database.js";
import { createSqlSecurityEventStore } from "../../src/events/sql-store.js";
import { createSqlUserStore } from "../../src/users/sql-store.js";
import { createTestPostgres, testDatabaseUrl } from "../helpers/backends.js";

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

describe("npm run admin -- grant|revoke <email> [role]", () => {
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
});
