import { uuidv7 } from "uuidv7";
import { pino } from "pino";
import { loadConfigOrExit, openStorage } from "../bootstrap.js";
import { composeStores } from "../compose.js";
import { RoleSchema } from "../routes/admin/admin.schemas.js";

/**
 * `npm run admin -- grant <email> [role]` / `revoke <email> [role]` (role defaults to admin): the
 * bootstrap of the first admin, from a shell on the database's side, never over HTTP. Works on the
 * configured database, PostgreSQL or the embedded one (stop the service first: PGlite has one owner).
 * Takes effect on the user's next request: authorisation reads the roles from the database, not the token.
 */
const USAGE = "usage: admin grant|revoke <email> [role]   (role defaults to admin)";

async function main(argv: string[]): Promise<number> {
  const [command, rawEmail, rawRole = "admin"] = argv;
  if ((command !== "grant" && command !== "revoke") || !rawEmail) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const role = RoleSchema.safeParse(rawRole);
  if (!role.success) {
    process.stderr.write(`admin: role ${role.error.issues[0]?.message}\n`);
    return 2;
  }
  const email = rawEmail.trim().toLowerCase();

  const config = loadConfigOrExit(process.env, { requireSigningKey: false });
  const storage = await openStorage(config, pino({ level: "warn" }, pino.destination(2)));
  try {
    const { users, events } = composeStores(config, storage);
    const user = await users.findByEmail(email);
    if (!user) {
      process.stderr.write(`admin: no user with email ${email}\n`);
      return 1;
    }
    const roles = command === "grant" ? [...new Set([...user.roles, role.data])] : user.roles.filter((r) => r !== role.data);
    if (roles.length === 0) {
      process.stderr.write("admin: a user keeps at least one role\n");
      return 1;
    }
    await users.update(user.id, { roles });
    await events.record({
      id: uuidv7(),
      userId: user.id,
      type: "roles_changed",
      occurredAt: new Date(),
      ip: null,
      userAgent: null,
      sessionId: null,
      actorId: null,
      details: { from: user.roles, to: roles, via: "cli" },
    });
    process.stdout.write(`${email}: roles ${roles.join(", ")} (effective on the user's next request)\n`);
    return 0;
  } finally {
    await storage.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
