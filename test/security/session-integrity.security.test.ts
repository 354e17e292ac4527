import { decodeJwt } from "jose";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sessions as sessionsTable, users } from "../../src/db/schema.js";
import { createRefreshToken, openSuccessor, sessionIdOfRefreshToken } from "../../src/sessions/refresh-tokens.js";
import { createTestApp, inProcessClient, type TestApp } from "../helpers/test-app.js";
import { describeEachBackend, flows } from "../helpers/flows.js";
import { expectProblem } from "./support.js";

/**
 * The checks behind a session that no ordinary path reaches: a user disabled or deleted behind the
 * service's back (a database console, another tool, or a Redis session store that no cascade
 * reaches), an access token naming another user's session, and what a reader of the session store
 * can do with the sealed grace-window successor.
 */
describeEachBackend("session integrity", (backend) => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ backend });
  });
  afterAll(() => testApp.cleanup());
  const client = () => inProcessClient(testApp.app);
  const { signedIn, me, refresh } = flows(client);

  /** Disables the user in the database only: no session is revoked, as the admin API would do. */
  const disableBehindTheServicesBack = (userId: string) =>
    testApp.database.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, userId));

  /** The stored sealed successor of a session, read as a database or Redis reader would. */
  async function storedSealedSuccessor(sessionId: string): Promise<string | null> {
    if (testApp.redis) {
      return testApp.redis.client.hget(`${testApp.redis.keyPrefix}session:{${sessionId}}`, "sealedSuccessor");
    }
    const [row] = await testApp.database.db.select({ sealed: sessionsTable.sealedSuccessor }).from(sessionsTable).where(eq(sessionsTable.id, sessionId));
    return row?.sealed ?? null;
  }
  async function overwriteSealedSuccessor(sessionId: string, sealed: string): Promise<void> {
    if (testApp.redis) {
      await testApp.redis.client.hset(`${testApp.redis.keyPrefix}session:{${sessionId}}`, "sealedSuccessor", sealed);
      return;
    }
    await testApp.database.db.update(sessionsTable).set({ sealedSuccessor: sealed }).where(eq(sessionsTable.id, sessionId));
  }

  it("refuses to refresh for a user disabled without their sessions being revoked, and ends that session", async () => {
    const { user, tokens } = await signedIn("disabled-behind");
    await disableBehindTheServicesBack(user.id);
    expect(await testApp.sessions.get(decodeJwt(tokens.access_token).sid as string, testApp.clock())).not.toBeNull();
    expectProblem(await refresh(tokens.refresh_token), 401, "INVALID_REFRESH_TOKEN");
    // Refused by the user check, and the session it found is ended, not merely skipped.
    expect(await testApp.sessions.get(decodeJwt(tokens.access_token).sid as string, testApp.clock())).toBeNull();
  });

  it("refuses the access token of a user disabled without their sessions being revoked", async () => {
    const { user, tokens } = await signedIn("disabled-access");
    expect((await me(tokens.access_token)).status).toBe(200);
    await disableBehindTheServicesBack(user.id);
    expectProblem(await me(tokens.access_token), 401, "INVALID_TOKEN");
  });

  it("refuses an access token, signed with our key, that names another user's live session", async () => {
    const victim = await signedIn("victim");
    const attacker = await signedIn("attacker");
    const victimSid = decodeJwt(victim.tokens.access_token).sid as string;
    const crossed = await testApp.accessTokens.sign({ userId: attacker.user.id, sessionId: victimSid, roles: ["user"] }, testApp.clock());
    expectProblem(await me(crossed), 401, "INVALID_TOKEN");
    // the same token with the session's own user is accepted: only the mismatch refused it
    const own = await testApp.accessTokens.sign({ userId: victim.user.id, sessionId: victimSid, roles: ["user"] }, testApp.clock());
    expect((await me(own)).status).toBe(200);
  });

  if (backend === "postgres+redis") {
    it("refuses to refresh for a deleted user whose Redis session no cascade removed, and ends that session", async () => {
      const { user, tokens } = await signedIn("deleted-redis");
      await testApp.database.db.delete(users).where(eq(users.id, user.id));
      const sid = decodeJwt(tokens.access_token).sid as string;
      expect(await testApp.sessions.get(sid, testApp.clock())).not.toBeNull();
      expectProblem(await me(tokens.access_token), 401, "INVALID_TOKEN");
      expectProblem(await refresh(tokens.refresh_token), 401, "INVALID_REFRESH_TOKEN");
      expect(await testApp.sessions.get(sid, testApp.clock())).toBeNull();
    });
  }

  it("stores the grace-window successor sealed under the presented token only: no other token, of this or another session, opens it", async () => {
    const a = await signedIn("sealed-a");
    const b = await signedIn("sealed-b");
    const rotatedA = await refresh(a.tokens.refresh_token);
    const rotatedB = await refresh(b.tokens.refresh_token);
    expect(rotatedA.status).toBe(200);
    expect(rotatedB.status).toBe(200);
    const sealedA = await storedSealedSuccessor(sessionIdOfRefreshToken(a.tokens.refresh_token)!);
    const sealedB = await storedSealedSuccessor(sessionIdOfRefreshToken(b.tokens.refresh_token)!);
    expect(sealedA).toEqual(expect.any(String));
    // Not the token in the clear, in any encoding a reader would try.
    expect(sealedA).not.toContain(rotatedA.body.refresh_token);
    expect(Buffer.from(sealedA!, "base64url").toString("latin1")).not.toContain(rotatedA.body.refresh_token);
    // Only the token that was rotated out opens it...
    expect(await openSuccessor(a.tokens.refresh_token, sealedA!)).toBe(rotatedA.body.refresh_token);
    // ...not another session's token, not the successor itself, not a fresh token of the same session.
    expect(await openSuccessor(b.tokens.refresh_token, sealedA!)).toBeNull();
    expect(await openSuccessor(rotatedA.body.refresh_token, sealedA!)).toBeNull();
    expect(await openSuccessor(createRefreshToken(sessionIdOfRefreshToken(a.tokens.refresh_token)!), sealedA!)).toBeNull();
    expect(await openSuccessor(a.tokens.refresh_token, sealedB!)).toBeNull();
  });

  it.each([
    ["garbage", () => "not-a-sealed-token"],
    ["a blob sealed under another token", async (sessionId: string) => {
      const other = await signedIn("sealed-other");
      expect((await refresh(other.tokens.refresh_token)).status).toBe(200);
      return (await storedSealedSuccessor(sessionIdOfRefreshToken(other.tokens.refresh_token)!))!;
    }],
    ["a truncated blob", async (sessionId: string) => (await storedSealedSuccessor(sessionId))!.slice(0, 20)],
  ] as const)("answers a replay whose stored successor is %s with 401, never a pair without a token", async (_label, corrupt) => {
    const { tokens } = await signedIn("replay-corrupt");
    const sessionId = sessionIdOfRefreshToken(tokens.refresh_token)!;
    const rotated = await refresh(tokens.refresh_token);
    expect(rotated.status).toBe(200);
    await overwriteSealedSuccessor(sessionId, await corrupt(sessionId));
    const replay = await refresh(tokens.refresh_token);
    expectProblem(replay, 401, "INVALID_REFRESH_TOKEN");
    // the live successor is not harmed by the failed replay
    expect((await refresh(rotated.body.refresh_token)).status).toBe(200);
  });
});
