import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachBackend, flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createApp } from "../../src/app.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";

describeEachBackend("roles and the admin API", (backend) => {
  let testApp: TestApp;
  let client: TestClient;
  let admin: { id: string; email: string; token: string };
  beforeAll(async () => {
    testApp = await createTestApp({ backend });
    client = inProcessClient(testApp.app);
    const email = uniqueEmail("admin");
    const user = await register(email);
    await testApp.deps.users.update(user.id, { roles: ["user", "admin"] });
    admin = { id: user.id, email, token: (await login(email)).access_token };
  });
  afterAll(() => testApp.cleanup());
  const { register, login, signedIn, me, refresh } = flows(() => client);
  const request = (...args: Parameters<TestClient["request"]>) => client.request(...args);

  const adminRoutes = (id: string) =>
    [
      ["GET", "/admin/users", undefined],
      ["GET", `/admin/users/${id}`, undefined],
      ["PATCH", `/admin/users/${id}`, { disabled: true }],
      ["DELETE", `/admin/users/${id}/sessions`, undefined],
      ["DELETE", `/admin/users/${id}/mfa`, undefined],
      ["POST", "/admin/clients", { name: "App", type: "public", redirect_uris: ["https://app.example/cb"] }],
      ["GET", "/admin/clients", undefined],
      ["GET", "/admin/clients/some-client", undefined],
      ["PATCH", "/admin/clients/some-client", { name: "Renamed" }],
      ["DELETE", "/admin/clients/some-client", undefined],
      ["POST", "/admin/clients/some-client/secret", undefined],
    ] as const;

  it("answers a token without the admin role with 403 insufficient_scope on every admin route, and changes nothing", async () => {
    const { user, tokens } = await signedIn("plain");
    for (const [method, path, json] of adminRoutes(user.id)) {
      const response = await request(method, path, { token: tokens.access_token, ...(json && { json }) });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.code).toBe("INSUFFICIENT_ROLE");
      expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    }
    expect((await me(tokens.access_token)).status).toBe(200);
  });

  it("answers no token or a bad one with 401 on every admin route", async () => {
    for (const [method, path, json] of adminRoutes(admin.id)) {
      expect((await request(method, path, { ...(json && { json }) })).status, `${method} ${path}`).toBe(401);
      expect((await request(method, path, { token: "nope", ...(json && { json }) })).status).toBe(401);
    }
  });

  it("carries roles in the token; a role change takes effect with the next token", async () => {
    const { user, email, tokens } = await signedIn("promoted");
    const changed = await request("PATCH", `/admin/users/${user.id}`, { token: admin.token, json: { roles: ["user", "support"] } });
    expect(changed.status).toBe(200);
    expect(changed.body.roles).toEqual(["user", "support"]);
    expect(JSON.parse(Buffer.from(tokens.access_token.split(".")[1]!, "base64url").toString()).roles).toEqual(["user"]);
    const next = await login(email);
    expect(JSON.parse(Buffer.from(next.access_token.split(".")[1]!, "base64url").toString()).roles).toEqual(["user", "support"]);
    const refreshed = await refresh(tokens.refresh_token);
    expect(JSON.parse(Buffer.from(refreshed.body.access_token.split(".")[1]!, "base64url").toString()).roles).toEqual(["user", "support"]);
    const bad = await request("PATCH", `/admin/users/${user.id}`, { token: admin.token, json: { roles: ["Not A Role!"] } });
    expect(bad.status).toBe(400);
    expect((await request("PATCH", `/admin/users/${user.id}`, { token: admin.token, json: {} })).status).toBe(400);
  });

  it("gets one user with disabled_at and the live session count; 404 unknown, 400 malformed", async () => {
    const { user, email } = await signedIn("counted");
    await login(email);
    const response = await request("GET", `/admin/users/${user.id}`, { token: admin.token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: user.id, email, disabled_at: null, session_count: 2, roles: ["user"] });
    expect(response.body.password_hash).toBeUndefined();
    expect((await request("GET", `/admin/users/${crypto.randomUUID()}`, { token: admin.token })).status).toBe(404);
    expect((await request("GET", "/admin/users/not-a-uuid", { token: admin.token })).status).toBe(400);
  });

  it("disabling ends every session at once and blocks login (403 with the right password, 401 with a wrong one); enabling restores it", async () => {
    const { user, email, tokens } = await signedIn("disabled");
    const disabled = await request("PATCH", `/admin/users/${user.id}`, { token: admin.token, json: { disabled: true } });
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled_at).toEqual(expect.any(String));
    expect((await me(tokens.access_token)).status).toBe(401);
    expect((await refresh(tokens.refresh_token)).status).toBe(401);
    const right = await request("POST", "/login", { json: { email, password: PASSWORD } });
    expect(right.status).toBe(403);
    expect(right.body.code).toBe("ACCOUNT_DISABLED");
    const wrong = await request("POST", "/login", { json: { email, password: "not the password" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe("INVALID_CREDENTIALS");
    expect((await request("GET", `/admin/users/${user.id}`, { token: admin.token })).body.session_count).toBe(0);

    const enabled = await request("PATCH", `/admin/users/${user.id}`, { token: admin.token, json: { disabled: false } });
    expect(enabled.body.disabled_at).toBeNull();
    await login(email);
  });

  it("revokes all of a user's sessions", async () => {
    const { user, email, tokens } = await signedIn("revoked");
    const second = await login(email);
    expect((await request("DELETE", `/admin/users/${user.id}/sessions`, { token: admin.token })).status).toBe(204);
    expect((await me(tokens.access_token)).status).toBe(401);
    expect((await me(second.access_token)).status).toBe(401);
    expect((await refresh(second.refresh_token)).status).toBe(401);
    expect((await request("DELETE", `/admin/users/${crypto.randomUUID()}/sessions`, { token: admin.token })).status).toBe(404);
    expect((await me(admin.token)).status).toBe(200);
  });

  it("a demoted admin's old token is refused on every admin route at once, here and on a second instance over the same storage", async () => {
    // Admin A (to be demoted) and admin B, each signed in with a token that carries roles ["user","admin"].
    const a = await signedIn("admin-a");
    await testApp.deps.users.update(a.user.id, { roles: ["user", "admin"] });
    const aToken = (await login(a.email)).access_token;
    const b = await signedIn("admin-b");
    await testApp.deps.users.update(b.user.id, { roles: ["user", "admin"] });
    const bToken = (await login(b.email)).access_token;
    expect((await request("GET", "/admin/users", { token: aToken })).status).toBe(200);

    expect((await request("PATCH", `/admin/users/${a.user.id}`, { token: bToken, json: { roles: ["user"] } })).status).toBe(200);
    // The claim still says admin; the user row, read for this request, does not.
    expect(JSON.parse(Buffer.from(aToken.split(".")[1]!, "base64url").toString()).roles).toEqual(["user", "admin"]);
    const otherInstance = inProcessClient(createApp(testApp.deps));
    for (const instance of [client, otherInstance]) {
      for (const [method, path, json] of adminRoutes(b.user.id)) {
        const response = await instance.request(method, path, { token: aToken, ...(json && { json }) });
        expect(response.status, `${instance === client ? "this" : "other"} instance: ${method} ${path}`).toBe(403);
        expect(response.body.code).toBe("INSUFFICIENT_ROLE");
      }
      // Nor can it grant itself admin again.
      expect((await instance.request("PATCH", `/admin/users/${a.user.id}`, { token: aToken, json: { roles: ["user", "admin"] } })).status).toBe(403);
    }
    // B was neither disabled nor logged out by A's attempts; A is still a signed-in user.
    expect((await me(bToken)).status).toBe(200);
    expect((await request("GET", "/admin/users", { token: bToken })).status).toBe(200);
    expect((await me(aToken)).body.roles).toEqual(["user"]);
  });

  it("refuses to let an admin disable themselves or drop their own admin role", async () => {
    expect((await request("PATCH", `/admin/users/${admin.id}`, { token: admin.token, json: { disabled: true } })).status).toBe(409);
    expect((await request("PATCH", `/admin/users/${admin.id}`, { token: admin.token, json: { roles: ["user"] } })).status).toBe(409);
    expect((await me(admin.token)).status).toBe(200);
  });

  it("records every admin action as a security event of the affected user, naming the admin", async () => {
    const { user, email } = await signedIn("audited");
    await request("PATCH", `/admin/users/${user.id}`, { token: admin.token, json: { roles: ["user", "auditor"] } });
    await request("PATCH", `/admin/users/${user.id}`, { token: admin.token, json: { disabled: true } });
    await request("PATCH", `/admin/users/${user.id}`, { token: admin.token, json: { disabled: false } });
    await request("DELETE", `/admin/users/${user.id}/sessions`, { token: admin.token });
    const token = (await login(email)).access_token;
    const events = (await request("GET", "/me/events", { token })).body.items as Array<{ type: string; actor_id: string | null; details: unknown }>;
    const adminEvents = events.filter((event) => event.actor_id !== null);
    expect(adminEvents.map((event) => event.type)).toEqual(["sessions_revoked_by_admin", "account_enabled", "account_disabled", "roles_changed"]);
    expect(adminEvents.every((event) => event.actor_id === admin.id)).toBe(true);
    expect(adminEvents.at(-1)!.details).toEqual({ from: ["user"], to: ["user", "auditor"] });
  });

  it("answers a search or a cursor holding NUL or another control character with 400, never 500", async () => {
    for (const query of ["email=%00", "email=a%00b", "email=%01", "email=%0A", "email=%7F", "cursor=%00"]) {
      const response = await request("GET", `/admin/users?${query}`, { token: admin.token });
      expect(response.status, query).toBe(400);
      expect(response.body.code, query).toBe("VALIDATION_FAILED");
    }
    expect((await request("GET", "/admin/users?email=example", { token: admin.token })).status).toBe(200);
  });

  it("searches by part of the email, case-insensitively, treating % and _ literally", async () => {
    const tag = `find${crypto.randomUUID().slice(0, 6)}`;
    const match = await register(`${tag}-one@example.com`);
    await register(`other-${crypto.randomUUID().slice(0, 6)}@example.com`);
    const found = await request("GET", `/admin/users?email=${tag.toUpperCase()}`, { token: admin.token });
    expect(found.status).toBe(200);
    expect(found.body.items.map((item: { id: string }) => item.id)).toEqual([match.id]);
    expect(found.body.next_cursor).toBeNull();
    const wildcard = await request("GET", "/admin/users?email=%25", { token: admin.token });
    expect(wildcard.body.items).toEqual([]);
  });

  it("pages with a cursor in a stable order that neither skips nor repeats users while users are being added", async () => {
    const tag = `page${crypto.randomUUID().slice(0, 6)}`;
    const existing: string[] = [];
    for (let i = 0; i < 23; i++) existing.push((await register(`${tag}-${String(i).padStart(2, "0")}@example.com`)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let added = 0;
    do {
      const query = `email=${tag}&limit=5${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await request("GET", `/admin/users?${query}`, { token: admin.token });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.next_cursor;
      // Users keep arriving during the walk, concurrently with the next page's query.
      await Promise.all([register(`${tag}-new-${added++}@example.com`), register(`${tag}-new-${added++}@example.com`)]);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
    expect(seen).toEqual([...seen].sort());
    expect((await request("GET", "/admin/users?cursor=garbage", { token: admin.token })).status).toBe(400);
    expect((await request("GET", "/admin/users?limit=101", { token: admin.token })).status).toBe(400);
  });
});
