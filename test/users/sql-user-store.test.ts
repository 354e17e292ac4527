import { eq, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../src/db/database.js";
import { users } from "../../src/db/schema.js";
import { createSqlUserStore } from "../../src/users/sql-store.js";
import type { NewUser, UserStore } from "../../src/users/store.js";
import { createTestPglite, createTestPostgres, type TestBackend, testDatabaseUrl } from "../helpers/backends.js";

function describeSqlUserStore(name: string, makeBackend: () => Promise<TestBackend<DatabaseHandle>>): void {
  describe(`SqlUserStore on ${name}`, () => {
    let backend: TestBackend<DatabaseHandle> | undefined;
    let store: UserStore;
    beforeAll(async () => {
      backend = await makeBackend();
      store = createSqlUserStore({ db: backend.value.db });
    });
    afterAll(async () => {
      await backend?.cleanup();
    });

    function newUser(overrides: Partial<NewUser> = {}): NewUser {
      const id = uuidv7();
      return { id, email: `${id}@example.test`, name: "Ada", passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", ...overrides };
    }

    it("creates a user with the default role and finds it by email and by id", async () => {
      const input = newUser();
      const created = await store.create(input);
      expect(created).toMatchObject({
        id: input.id,
        email: input.email,
        name: "Ada",
        roles: ["user"],
        disabledAt: null,
      });
      expect(created?.createdAt).toBeInstanceOf(Date);
      expect(created).not.toHaveProperty("passwordHash");

      expect(await store.findByEmail(input.email)).toEqual({ ...created, passwordHash: input.passwordHash });
      expect(await store.findById(input.id)).toEqual(created);
    });

    it("keeps a null name", async () => {
      const input = newUser({ name: null });
      expect((await store.create(input))?.name).toBeNull();
      expect((await store.findById(input.id))?.name).toBeNull();
    });

    it("returns null for an unknown email or id, and for a malformed id", async () => {
      expect(await store.findByEmail(`${uuidv7()}@example.test`)).toBeNull();
      expect(await store.findById(uuidv7())).toBeNull();
      expect(await store.findById("not-a-user-id")).toBeNull();
    });

    it("finds nobody, without a database error, for an email or a search holding NUL (PostgreSQL refuses NUL in text)", async () => {
      await store.create(newUser());
      expect(await store.findByEmail("a\0@example.test")).toBeNull();
      expect(await store.list({ emailContains: "\0", limit: 10 })).toEqual([]);
      expect(await store.list({ emailContains: "example\0test", limit: 10 })).toEqual([]);
    });

    it("refuses a second user with the same email in any case, without throwing", async () => {
      const first = newUser({ email: `${uuidv7()}@example.test` });
      expect(await store.create(first)).not.toBeNull();
      const second = newUser({ email: first.email.toUpperCase() });
      expect(await store.create(second)).toBeNull();
      expect(await store.findById(second.id)).toBeNull();
      // The lookup is case-insensitive too, and finds the first user.
      expect((await store.findByEmail(first.email.toUpperCase()))?.id).toBe(first.id);
    });

    it("creates exactly one of 20 concurrent registrations of one email in mixed case", async () => {
      const local = `race-${uuidv7()}`;
      const attempts = Array.from({ length: 20 }, (_, i) =>
        newUser({ email: i % 2 === 0 ? `${local}@example.test` : `${local.toUpperCase()}@EXAMPLE.TEST` }),
      );
      const results = await Promise.all(attempts.map((user) => store.create(user)));
      const created = results.filter((user) => user !== null);
      expect(created).toHaveLength(1);
      const rows = await backend!.value.db
        .select({ id: users.id })
        .from(users)
        .where(sql`lower(${users.email}) = lower(${`${local}@example.test`})`);
      expect(rows).toEqual([{ id: created[0]!.id }]);
    });

    it("replaces the password hash and moves updated_at forward", async () => {
      const input = newUser();
      await store.create(input);
      await store.updatePasswordHash(input.id, "$argon2id$new");
      expect((await store.findByEmail(input.email))?.passwordHash).toBe("$argon2id$new");
      // Compared in the database, at microsecond precision: a Date would round both to the same millisecond.
      const [row] = await backend!.value.db
        .select({ newer: sql<boolean>`${users.updatedAt} > ${users.createdAt}` })
        .from(users)
        .where(eq(users.id, input.id));
      expect(row?.newer).toBe(true);
      // Other users keep their hash.
      const other = newUser();
      await store.create(other);
      await store.updatePasswordHash(input.id, "$argon2id$newer");
      expect((await store.findByEmail(other.email))?.passwordHash).toBe(other.passwordHash);
    });
  });
}

describeSqlUserStore("PGlite", createTestPglite);

describe.runIf(Boolean(testDatabaseUrl))("with TEST_DATABASE_URL", () => {
  describeSqlUserStore("PostgreSQL", () => createTestPostgres());
});
