import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient, type TestResponse } from "../helpers/test-app.js";

/**
 * Every answer that carries personal data or tokens is `Cache-Control: no-store`, so no browser,
 * proxy or CDN keeps it (issue 11, item 12); the public JWKS keeps its short public caching.
 */
describe("Cache-Control on personal answers", () => {
  let testApp: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    testApp = await createTestApp();
    client = inProcessClient(testApp.app);
  });
  afterAll(() => testApp.cleanup());
  const { login } = flows(() => client);
  const request = (...args: Parameters<TestClient["request"]>) => client.request(...args);

  function expectNoStore(response: TestResponse, what: string, status: number): void {
    expect(response.status, what).toBe(status);
    expect(response.headers.get("cache-control"), what).toBe("no-store");
  }

  it("is no-store on register, login, refresh, /me, profile, sessions, events, password, logout and account deletion", async () => {
    const email = uniqueEmail("cache");
    const registered = await request("POST", "/register", { json: { email, password: PASSWORD, name: "Ada" } });
    expectNoStore(registered, "POST /register", 201);
    const loggedIn = await request("POST", "/login", { json: { email, password: PASSWORD } });
    expectNoStore(loggedIn, "POST /login", 200);
    await login(email); // a second session, to end one that is not the caller's
    const refreshed = await request("POST", "/refresh", { json: { refresh_token: loggedIn.body.refresh_token } });
    expectNoStore(refreshed, "POST /refresh", 200);
    const fresh = refreshed.body.access_token as string;

    expectNoStore(await request("GET", "/me", { token: fresh }), "GET /me", 200);
    expectNoStore(await request("PATCH", "/me", { token: fresh, json: { name: "Ada L." } }), "PATCH /me", 200);
    const sessions = await request("GET", "/sessions", { token: fresh });
    expectNoStore(sessions, "GET /sessions", 200);
    expectNoStore(await request("GET", "/me/events", { token: fresh }), "GET /me/events", 200);
    const other = (sessions.body as Array<{ id: string; current: boolean }>).find((session) => !session.current)!;
    expectNoStore(await request("DELETE", `/sessions/${other.id}`, { token: fresh }), "DELETE /sessions/{id}", 204);
    expectNoStore(
      await request("POST", "/me/password", { token: fresh, json: { current_password: PASSWORD, new_password: `${PASSWORD} 2` } }),
      "POST /me/password",
      204,
    );
    const again = await login(email, `${PASSWORD} 2`);
    expectNoStore(await request("POST", "/logout", { json: { refresh_token: again.refresh_token } }), "POST /logout", 204);
    const last = await login(email, `${PASSWORD} 2`);
    expectNoStore(await request("DELETE", "/me", { token: last.access_token, json: { password: `${PASSWORD} 2` } }), "DELETE /me", 204);
  });

  it("is no-store on every admin read and write", async () => {
    const adminEmail = uniqueEmail("cache-admin");
    const admin = (await request("POST", "/register", { json: { email: adminEmail, password: PASSWORD } })).body as { id: string };
    await testApp.deps.users.update(admin.id, { roles: ["user", "admin"] });
    const token = (await login(adminEmail)).access_token;
    const target = (await request("POST", "/register", { json: { email: uniqueEmail("cache-target"), password: PASSWORD } })).body as { id: string };
    expectNoStore(await request("GET", "/admin/users", { token }), "GET /admin/users", 200);
    expectNoStore(await request("GET", `/admin/users/${target.id}`, { token }), "GET /admin/users/{id}", 200);
    expectNoStore(await request("PATCH", `/admin/users/${target.id}`, { token, json: { roles: ["user", "support"] } }), "PATCH /admin/users/{id}", 200);
    expectNoStore(await request("DELETE", `/admin/users/${target.id}/sessions`, { token }), "DELETE /admin/users/{id}/sessions", 204);
  });

  it("is no-store on problems too (they may name the caller's data), while the public JWKS keeps its own caching", async () => {
    expectNoStore(await request("GET", "/me"), "GET /me without a token", 401);
    expectNoStore(await request("POST", "/login", { json: { email: uniqueEmail("nobody"), password: PASSWORD } }), "failed login", 401);
    expectNoStore(await request("GET", "/readyz"), "GET /readyz", 200);
    expect((await request("GET", "/.well-known/jwks.json")).headers.get("cache-control")).toBe("public, max-age=300");
  });
});
