import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { schema } from "./schema.js";

/** Either driver's database: postgres.js and PGlite are interchangeable behind this type. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: "postgres" | "pglite";
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /** Applies the committed drizzle-kit migrations from `migrationsFolder`. */
  migrate(migrationsFolder: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A handle of either driver: what differs between them is how they migrate and close; the ping is
 * the same query through drizzle.
 */
function databaseHandle(kind: DatabaseHandle["kind"], db: Database, driver: Pick<DatabaseHandle, "migrate" | "close">): DatabaseHandle {
  return {
    db,
    kind,
    async ping() {
      await db.execute(sql`select 1`);
    },
    migrate: driver.migrate,
    close: driver.close,
  };
}

export interface PostgresDatabaseOptions {
  url: string;
  poolSize?: number;
  /** Seconds to wait for a connection before the query fails (and the request gets a 503). */
  connectTimeoutSeconds?: number;
}

export async function createPostgresDatabase(options: PostgresDatabaseOptions): Promise<DatabaseHandle> {
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const connectTimeout = options.connectTimeoutSeconds ?? 3;
  const client = postgres(options.url, {
    max: options.poolSize ?? 10,
    connect_timeout: connectTimeout,
    idle_timeout: 30,
    onnotice: () => {},
  });
  return databaseHandle("postgres", drizzle({ client, schema }), {
    async migrate(migrationsFolder) {
      // Migrations take their own single connection so that their session state never leaks into the pool.
      const { migrate } = await import("drizzle-orm/postgres-js/migrator");
      const migrationClient = postgres(options.url, { max: 1, connect_timeout: connectTimeout, onnotice: () => {} });
      try {
        await migrate(drizzle({ client: migrationClient }), { migrationsFolder });
      } finally {
        await migrationClient.end({ timeout: 5 });
      }
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  });
}

export interface PgliteDatabaseOptions {
  /** A directory to persist to; omitted, the database lives in memory (tests). */
  dataDir?: string;
}

export async function createPgliteDatabase(options: PgliteDatabaseOptions = {}): Promise<DatabaseHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const client: PGlite = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await client.waitReady;
  const db = drizzle({ client, schema });
  return databaseHandle("pglite", db, {
    async migrate(migrationsFolder) {
      const { migrate } = await import("drizzle-orm/pglite/migrator");
      await migrate(db, { migrationsFolder });
    },
    async close() {
      await client.close();
    },
  });
}

/** The committed migrations; `../../drizzle` holds from both `src/db` and `dist/db`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));
