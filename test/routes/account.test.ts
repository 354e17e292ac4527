import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachBackend, flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";

describeEachBackend("sessions, account self-service and security events", (backend) => {
  let testApp: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    testApp = await createTestApp({ backend });
    client = inProcessClient(testApp.app);
  });
  afterAll(() => testApp.cleanup());
  const { register, login, signedIn, me, refresh } = flows(() => client);
  const request = (...args: Parameters<TestClient["request"]>) => client.request(...args);

  it("GET /sessions lists the caller's live sessions newest first, marking the current one", async () => {
    const { email } = await signedIn();
    const first = await login(email, PASSWORD, "laptop");
    testApp.clock.advance(1);
    const second = await login(email, PASSWORD, "phone");
    const response = await request("GET", "/sessions", { token: second.access_token });
    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(3);
    const [newest, middle] = response.body;
    expect(newest).toEqual({
      id: expect.any(String),
      created_at: expect.any(String),
      last_used_at: expect.any(String),
      expires_at: expect.any(String),
      user_agent: "phone",
      ip: "127.0.0.1",
      current: true,
      client: null,
    });
    expect(middle).toMatchObject({ user_agent: "laptop", current: false });
    const fromFirst = await request("GET", "/sessions", { token: first.access_token });
    expect(fromFirst.body.filter((session: { current: boolean }) => session.current)).toEqual([expect.objectContaining({ user_agent: "laptop" })]);
    expect((await request("GET", "/sessions")).status).toBe(401);
  });

  it("never shows or ends another user's session: 404, as for an unknown id", async () => {
    const alice = await signedIn("alice");
    const bob = await signedIn("bob");
    const bobSessions = await request("GET", "/sessions", { token: bob.tokens.access_token });
    const bobSessionId = bobSessions.body[0].id;
    const aliceSessions = await request("GET", "/sessions", { token: alice.tokens.access_token });
    expect(aliceSessions.body.map((session: { id: string }) => session.id)).not.toContain(bobSessionId);

    const attempt = await request("DELETE", `/sessions/${bobSessionId}`, { token: alice.tokens.access_token });
    expect(attempt.status).toBe(404);
    expect(attempt.body.code).toBe("NOT_FOUND");
    const unknown = await request("DELETE", `/sessions/${crypto.randomUUID()}`, { token: alice.tokens.access_token });
    expect(unknown.body).toEqual({ ...attempt.body, request_id: unknown.body.request_id });
    expect((await request("DELETE", "/sessions/not-a-uuid", { token: alice.tokens.access_token })).status).toBe(404);
    expect((await me(bob.tokens.access_token)).status).toBe(200);
  });

  it("DELETE /sessions/{id} ends that session at once: its access and refresh tokens fail, others live on", async () => {
    const { email, tokens: phone } = await signedIn();
    const laptop = await login(email);
    const sessions = await request("GET", "/sessions", { token: laptop.access_token });
    const phoneSessionId = sessions.body.find((session: { current: boolean }) => !session.current).id;
    expect((await request("DELETE", `/sessions/${phoneSessionId}`, { token: laptop.access_token })).status).toBe(204);
    expect((await me(phone.access_token)).status).toBe(401);
    expect((await refresh(phone.refresh_token)).status).toBe(401);
    expect((await me(laptop.access_token)).status).toBe(200);
    const after = await request("GET", "/sessions", { token: laptop.access_token });
    expect(after.body.map((session: { id: string }) => session.id)).not.toContain(phoneSessionId);
  });

  it("POST /logout with scope others ends every other session and keeps this one", async () => {
    const { email, tokens: a } = await signedIn();
    const b = await login(email);
    const c = await login(email);
    expect((await request("POST", "/logout", { json: { refresh_token: c.refresh_token, scope: "others" } })).status).toBe(204);
    expect((await me(a.access_token)).status).toBe(401);
    expect((await me(b.access_token)).status).toBe(401);
    expect((await me(c.access_token)).status).toBe(200);
    expect((await refresh(c.refresh_token)).status).toBe(200);
  });

  it("POST /logout with scope all ends every session of the user, and no one else's", async () => {
    const { email, tokens: a } = await signedIn();
    const b = await login(email);
    const stranger = await signedIn("stranger");
    expect((await request("POST", "/logout", { json: { refresh_token: b.refresh_token, scope: "all" } })).status).toBe(204);
    expect((await me(a.access_token)).status).toBe(401);
    expect((await me(b.access_token)).status).toBe(401);
    expect((await me(stranger.tokens.access_token)).status).toBe(200);
  });

  it("POST /logout rejects an unknown scope and ignores a scoped logout with an unknown token", async () => {
    const { tokens } = await signedIn();
    expect((await request("POST", "/logout", { json: { refresh_token: tokens.refresh_token, scope: "everyone" } })).status).toBe(400);
    const forged = `${tokens.refresh_token.slice(0, 22)}${"C".repeat(42)}`;
    expect((await request("POST", "/logout", { json: { refresh_token: forged, scope: "all" } })).status).toBe(204);
    expect((await me(tokens.access_token)).status).toBe(200);
  });

  it("PATCH /me changes the name (null clears it) and validates it", async () => {
    const { tokens } = await signedIn();
    const renamed = await request("PATCH", "/me", { token: tokens.access_token, json: { name: "  Grace Hopper " } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("Grace Hopper");
    expect(new Date(renamed.body.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(renamed.body.created_at).getTime());
    expect((await me(tokens.access_token)).body.name).toBe("Grace Hopper");
    expect((await request("PATCH", "/me", { token: tokens.access_token, json: { name: null } })).body.name).toBeNull();
    const invalid = await request("PATCH", "/me", { token: tokens.access_token, json: { name: "x".repeat(101) } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].pointer).toBe("#/name");
    expect((await request("PATCH", "/me", { json: { name: "x" } })).status).toBe(401);
  });

  it("POST /me/password needs the current password, keeps this session and ends the others", async () => {
    const { email, tokens: current } = await signedIn();
    const other = await login(email);
    const wrong = await request("POST", "/me/password", { token: current.access_token, json: { current_password: "not it at all", new_password: "a brand new password" } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe("WRONG_PASSWORD");
    const weak = await request("POST", "/me/password", { token: current.access_token, json: { current_password: PASSWORD, new_password: "short" } });
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0].pointer).toBe("#/new_password");
    expect((await me(other.access_token)).status).toBe(200);

    const changed = await request("POST", "/me/password", { token: current.access_token, json: { current_password: PASSWORD, new_password: "a brand new password" } });
    expect(changed.status).toBe(204);
    expect((await me(current.access_token)).status).toBe(200);
    expect((await refresh(current.refresh_token)).status).toBe(200);
    expect((await me(other.access_token)).status).toBe(401);
    expect((await refresh(other.refresh_token)).status).toBe(401);
    expect((await request("POST", "/login", { json: { email, password: PASSWORD } })).status).toBe(401);
    await login(email, "a brand new password");
  });

  it("DELETE /me needs the password, then removes the account, its sessions and its events", async () => {
    const { email, tokens } = await signedIn();
    const other = await login(email);
    expect((await request("DELETE", "/me", { token: tokens.access_token, json: { password: "wrong password" } })).status).toBe(403);
    expect((await me(tokens.access_token)).status).toBe(200);
    expect((await request("DELETE", "/me", { token: tokens.access_token, json: { password: PASSWORD } })).status).toBe(204);
    expect((await me(tokens.access_token)).status).toBe(401);
    expect((await me(other.access_token)).status).toBe(401);
    expect((await refresh(other.refresh_token)).status).toBe(401);
    expect((await request("POST", "/login", { json: { email, password: PASSWORD } })).status).toBe(401);
    const again = await register(email);
    const fresh = await login(email);
    const events = await request("GET", "/me/events", { token: fresh.access_token });
    expect(events.body.items.map((event: { type: string }) => event.type)).toEqual(["login_succeeded", "registered"]);
    expect(again.id).not.toBe(tokens.access_token);
  });

  it("GET /me/events tells what happened, newest first, with where from, and never a secret", async () => {
    const email = uniqueEmail("events");
    await register(email);
    await request("POST", "/login", { json: { email, password: "a wrong password" } });
    const first = await login(email);
    testApp.clock.advance(1);
    const rotated = await refresh(first.refresh_token);
    testApp.clock.advance(30);
    expect((await refresh(first.refresh_token)).status).toBe(401); // reuse: the session is revoked
    const second = await login(email);
    await request("POST", "/logout", { json: { refresh_token: second.refresh_token } });
    const third = await login(email);
    await request("POST", "/me/password", { token: third.access_token, json: { current_password: PASSWORD, new_password: "another long password" } });
    const sessions = await request("GET", "/sessions", { token: third.access_token });
    expect(sessions.body).toHaveLength(1);

    const response = await request("GET", "/me/events", { token: third.access_token });
    expect(response.status).toBe(200);
    const types = response.body.items.map((event: { type: string }) => event.type);
    expect(types).toEqual([
      "password_changed",
      "login_succeeded",
      "logged_out",
      "login_succeeded",
      "refresh_token_reused",
      "refreshed",
      "login_succeeded",
      "login_failed",
      "registered",
    ]);
    expect(response.body.items[0]).toMatchObject({ ip: "127.0.0.1", session_id: expect.any(String), occurred_at: expect.any(String), actor_id: null });
    const text = response.text;
    for (const secret of [PASSWORD, "a wrong password", "another long password", first.refresh_token, rotated.body.refresh_token, first.access_token]) {
      expect(text).not.toContain(secret);
    }
    expect((await request("GET", "/me/events?limit=2", { token: third.access_token })).body.items).toHaveLength(2);
    expect((await request("GET", "/me/events?limit=0", { token: third.access_token })).status).toBe(400);
    expect((await request("GET", "/me/events")).status).toBe(401);
  });

  it("prunes events older than the retention", async () => {
    const { tokens } = await signedIn("retention");
    testApp.clock.advance(91 * 86_400);
    const { signedIn: _unused, ...rest } = flows(() => client);
    void rest;
    const cutoff = new Date(testApp.clock().getTime() - testApp.config.securityEvents.retentionSeconds * 1000);
    expect(await testApp.deps.events.pruneBefore(cutoff)).toBeGreaterThanOrEqual(2);
    testApp.clock.advance(-91 * 86_400);
    const events = await request("GET", "/me/events", { token: tokens.access_token });
    expect(events.body.items).toEqual([]);
  });
});
