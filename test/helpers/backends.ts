import { Redis } from "ioredis";
import postgres from "postgres";
import { uuidv7 } from "uuidv7";
import { createPgliteDatabase, createPostgresDatabase, MIGRATIONS_FOLDER, type Database, type DatabaseHandle } from "../../src/db/database.js";
import { createSqlUserStore } from "../../src/users/sql-store.js";

/**
 * Real backends for tests, each fresh and private to the caller: an in-memory PGlite, a new
 * PostgreSQL database on TEST_DATABASE_URL's server, a Redis key prefix on TEST_REDIS_URL.
 * Every factory returns a `cleanup` that removes what it made.
 */
export interface TestBackend<T> {
  value: T;
  cleanup(): Promise<void>;
}

export const testDatabaseUrl = process.env.TEST_DATABASE_URL || undefined;
export const testRedisUrl = process.env.TEST_REDIS_URL || undefined;

function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}`;
}

export async function createTestPglite(): Promise<TestBackend<DatabaseHandle>> {
  const handle = await createPgliteDatabase();
  await handle.migrate(MIGRATIONS_FOLDER);
  return { value: handle, cleanup: () => handle.close() };
}

export async function createTestPostgres(adminUrl = requireEnv(testDatabaseUrl, "TEST_DATABASE_URL")): Promise<
  TestBackend<DatabaseHandle> & { url: string }
> {
  const name = `auth_test_${uniqueSuffix()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await createPostgresDatabase({ url: url.toString(), poolSize: 10 });
  await handle.migrate(MIGRATIONS_FOLDER);
  return {
    value: handle,
    url: url.toString(),
    async cleanup() {
      await handle.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

export async function createTestRedis(url = requireEnv(testRedisUrl, "TEST_REDIS_URL")): Promise<
  TestBackend<Redis> & { keyPrefix: string; url: string }
> {
  const keyPrefix = `test:${uniqueSuffix()}:`;
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  return {
    value: client,
    keyPrefix,
    url,
    async cleanup() {
      await deleteKeysWithPrefix(client, keyPrefix);
      client.disconnect();
    },
  };
}

export async function deleteKeysWithPrefix(client: Redis, keyPrefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
}

function requireEnv(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/**
 * Makes real user rows on `db` and returns their ids: the stores whose rows reference users
 * (sessions, one-time tokens) need one per test, and their contract suites take this as `createUser`.
 */
export function createUserMaker(db: Database): () => Promise<string> {
  const users = createSqlUserStore({ db });
  return async () => {
    const id = uuidv7();
    const user = await users.create({ id, email: `${id}@example.test`, name: null, passwordHash: "$test$not-a-hash" });
    if (!user) throw new Error("test user was not created");
    return user.id;
  };
}

/**
 * A contract suite's context for a SQL store whose rows reference users (sessions, one-time
 * tokens): the store on the backend's database, real users to attach to, the backend's cleanup.
 */
export function sqlStoreContext<S>(backend: TestBackend<DatabaseHandle>, createStore: (options: { db: Database }) => S) {
  const { db } = backend.value;
  return { store: createStore({ db }), createUser: createUserMaker(db), cleanup: backend.cleanup };
}
