import { Redis } from "ioredis";
import postgres from "postgres";

/**
 * Fresh, private backends for one benchmark run, as test/helpers/backends.ts makes them for tests:
 * a new PostgreSQL database on the admin URL's server and a new Redis key prefix. Names start with
 * `auth_bench_` / `bench:` so anything a killed run leaves behind is easy to recognise. Each
 * `cleanup` removes what was made.
 */
function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}`;
}

export interface FreshDatabase {
  /** URL of the new, empty database (no migrations applied). */
  url: string;
  /** `select version()` of the server. */
  serverVersion: string;
  cleanup(): Promise<void>;
}

export async function createFreshDatabase(adminUrl: string): Promise<FreshDatabase> {
  const name = `auth_bench_${uniqueSuffix()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (error) {
    await admin.end({ timeout: 5 });
    throw new Error(`cannot create a database on ${redact(adminUrl)}: ${(error as Error).message}`);
  }
  const [row] = await admin.unsafe<{ server_version: string }[]>("show server_version");
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    serverVersion: row?.server_version ?? "unknown",
    async cleanup() {
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

export interface FreshRedisPrefix {
  client: Redis;
  keyPrefix: string;
  serverVersion: string;
  cleanup(): Promise<void>;
}

export async function createFreshRedisPrefix(url: string): Promise<FreshRedisPrefix> {
  const keyPrefix = `bench:${uniqueSuffix()}:`;
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 3_000, lazyConnect: true });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot connect to Redis at ${redact(url)}: ${(error as Error).message}`);
  }
  const info = await client.info("server");
  const serverVersion = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? "unknown";
  return {
    client,
    keyPrefix,
    serverVersion,
    async cleanup() {
      try {
        await deleteKeysWithPrefix(client, keyPrefix);
      } finally {
        client.disconnect();
      }
    },
  };
}

/** SCAN, never KEYS: a shared Redis must not stall while a benchmark tidies up. */
export async function deleteKeysWithPrefix(client: Redis, keyPrefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== "0");
  return deleted;
}

/** A URL fit for a log line: the password, if any, replaced. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(invalid URL)";
  }
}
