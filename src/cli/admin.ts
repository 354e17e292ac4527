import { uuidv7 } from "uuidv7";
import { pino } from "pino";
import { loadConfigOrExit, openStorage } from "../bootstrap.js";
import { composeStores } from "../compose.js";
import { RoleSchema, toClientBody } from "../routes/admin/admin.schemas.js";
import { parseArgs } from "node:util";
import { ProblemError } from "../http/problem.js";
import { createClientService } from "../oauth/clients/index.js";
import { endClientGrants } from "../oauth/index.js";
import { CreateClientFieldsSchema } from "../oauth/clients/client-metadata.js";

/**
 * `npm run admin -- grant <email> [role]` / `revoke <email> [role]` (role defaults to admin): the
 * bootstrap of the first admin, from a shell on the database's side, never over HTTP. Works on the
 * configured database, PostgreSQL or the embedded one (stop the service first: PGlite has one owner).
 * Takes effect on the user's next request: authorisation reads the roles from the database, not the token.
 */
const USAGE = [
  "usage: admin grant|revoke <email> [role]   (role defaults to admin)",
  '       admin client create --name "Web app" --type public|confidential [--redirect-uri <uri> ...] [--post-logout-redirect-uri <uri> ...] [--grant <grant> ...] [--scope "openid profile email"] [--first-party]',
  "       admin client list",
  "       admin client delete <client_id>",
].join("\n");

/**
 * `client create|list|delete`: registering the first OAuth client from a shell (later ones too, or
 * over POST /admin/clients). `create` prints the client as JSON with its client_secret, the only
 * time the secret is shown. The same rules as the admin API (ClientService); a deleted client's
 * grants are not ended here (no session wiring in the CLI): delete over the admin API for that.
 */
async function clientCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        name: { type: "string" },
        type: { type: "string" },
        "redirect-uri": { type: "string", multiple: true },
        "post-logout-redirect-uri": { type: "string", multiple: true },
        grant: { type: "string", multiple: true },
        scope: { type: "string" },
        "first-party": { type: "boolean" },
      },
    });
  } catch (error) {
    process.stderr.write(`admin: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (sub !== "create" && sub !== "list" && !(sub === "delete" && positionals.length === 1)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let fields: ReturnType<typeof CreateClientFieldsSchema.parse> | undefined;
  if (sub === "create") {
    const result = CreateClientFieldsSchema.safeParse({
      name: values.name,
      type: values.type,
      redirect_uris: values["redirect-uri"] ?? [],
      ...(values["post-logout-redirect-uri"] && { post_logout_redirect_uris: values["post-logout-redirect-uri"] }),
      ...(values.grant && { grant_types: values.grant }),
      ...(values.scope !== undefined && { scopes: values.scope.split(" ").filter(Boolean) }),
      first_party: values["first-party"] ?? false,
    });
    if (!result.success) {
      for (const issue of result.error.issues) process.stderr.write(`admin: ${issue.path.join(".") || "client"} ${issue.message}\n`);
      return 2;
    }
    fields = result.data;
  }

  const config = loadConfigOrExit(process.env, { requireSigningKey: false });
  const storage = await openStorage(config, pino({ level: "warn" }, pino.destination(2)));
  try {
    const stores = composeStores(config, storage);
    // Deleting a client ends its grants: their sessions revoked (in Redis too, when configured).
    const service = createClientService({ clients: stores.clients, clock: () => new Date(), endGrants: (clientId) => endClientGrants({ sessions: stores.sessions, store: stores.oauth }, clientId) });
    if (sub === "list") {
      process.stdout.write(`${JSON.stringify((await service.list()).map(toClientBody), null, 2)}\n`);
    } else if (sub === "delete") {
      await service.delete(positionals[0]!);
      process.stdout.write(`deleted client ${positionals[0]}\n`);
    } else {
      const { client, clientSecret } = await service.create({
        name: fields!.name,
        type: fields!.type,
        redirectUris: fields!.redirect_uris,
        ...(fields!.post_logout_redirect_uris && { postLogoutRedirectUris: fields!.post_logout_redirect_uris }),
        ...(fields!.grant_types && { grantTypes: fields!.grant_types }),
        ...(fields!.scopes && { scopes: fields!.scopes }),
        firstParty: fields!.first_party,
      });
      process.stdout.write(`${JSON.stringify({ ...toClientBody(client), ...(clientSecret && { client_secret: clientSecret }) }, null, 2)}\n`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    process.stderr.write(`admin: ${error.message}\n`);
    for (const field of error.errors ?? []) process.stderr.write(`admin: ${field.pointer?.slice(2) ?? ""} ${field.detail}\n`);
    return 1;
  } finally {
    await storage.close();
  }
}


async function main(argv: string[]): Promise<number> {
  if (argv[0] === "client") return clientCommand(argv.slice(1));
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
