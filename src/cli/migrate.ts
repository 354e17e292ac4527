import { loadConfigOrExit, openDatabase } from "../bootstrap.js";
import { MIGRATIONS_FOLDER } from "../db/database.js";

/** `npm run db:migrate`: applies the committed migrations to the configured database, then exits. */
const config = loadConfigOrExit(process.env, { requireSigningKey: false });
const database = await openDatabase(config);
try {
  await database.migrate(MIGRATIONS_FOLDER);
  process.stdout.write(`migrations applied to ${database.kind === "postgres" ? "PostgreSQL" : "embedded PGlite"}\n`);
} finally {
  await database.close();
}
