import { uuidv7 } from "uuidv7";
import { describe, expect, it } from "vitest";
import { createRefreshToken, hashRefreshToken, openSuccessor, sealSuccessor } from "../../src/sessions/refresh-tokens.js";
import type { RotateInput, RotateResult, SessionRecord, SessionStore } from "../../src/sessions/store.js";
import { useSuiteContext, type StoreTestContext } from "../helpers/suite-context.js";

export type SessionStoreTestContext = StoreTestContext<SessionStore>;

const IDLE_TTL_SECONDS = 3600;
const MAX_LIFETIME_SECONDS = 4 * 3600;
const GRACE_SECONDS = 10;
const SECOND = 1000;

/**
 * The behaviour every SessionStore must share, run against each implementation (the pattern of
 * unstorage's `testDriver` and lucia's `testAdapter`). Time moves by passing a later `now`, never
 * by sleeping; every test makes its own user and sessions.
 */
export function describeSessionStoreContract(name: string, makeStore: () => Promise<SessionStoreTestContext>): void {
  describe(`SessionStore contract: ${name}`, () => {
    const ctx = useSuiteContext(makeStore);
    const store = () => ctx().store;

    interface TestSession {
      id: string;
      userId: string;
      token: string;
      tokenHash: string;
      now: Date;
      record: SessionRecord;
    }

    async function newSession(
      options: { userId?: string; now?: Date; idleTtlSeconds?: number; maxLifetimeSeconds?: number } = {},
    ): Promise<TestSession> {
      const userId = options.userId ?? (await ctx().createUser());
      const id = uuidv7();
      const token = createRefreshToken(id);
      const tokenHash = await hashRefreshToken(token);
      const now = options.now ?? new Date();
      const record = await store().create({
        id,
        userId,
        tokenHash,
        userAgent: "vitest/4",
        ip: "203.0.113.7",
        now,
        idleTtlSeconds: options.idleTtlSeconds ?? IDLE_TTL_SECONDS,
        maxLifetimeSeconds: options.maxLifetimeSeconds ?? MAX_LIFETIME_SECONDS,
      });
      return { id, userId, token, tokenHash, now, record };
    }

    /** What the service does on refresh: a fresh successor, sealed under the presented token. */
    async function successorOf(sessionId: string, presentedToken: string) {
      const token = createRefreshToken(sessionId);
      return { token, hash: await hashRefreshToken(token), sealed: await sealSuccessor(presentedToken, token) };
    }

    async function rotate(
      sessionId: string,
      presentedToken: string,
      now: Date,
      overrides: Partial<RotateInput> = {},
    ): Promise<{ result: RotateResult; next: Awaited<ReturnType<typeof successorOf>> }> {
      const next = await successorOf(sessionId, presentedToken);
      const result = await store().rotate({
        sessionId,
        presentedHash: await hashRefreshToken(presentedToken),
        nextHash: next.hash,
        sealedSuccessor: next.sealed,
        now,
        idleTtlSeconds: IDLE_TTL_SECONDS,
        graceSeconds: GRACE_SECONDS,
        ...overrides,
      });
      return { result, next };
    }

    const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

    /**
     * Ten refreshes of one token, each with its own successor (as ten requests would make), prepared
     * first so that the ten store calls start together rather than one crypto step apart.
     */
    async function concurrentRotations(s: TestSession, graceSeconds: number) {
      const presentedHash = await hashRefreshToken(s.token);
      const nexts = await Promise.all(Array.from({ length: 10 }, () => successorOf(s.id, s.token)));
      const results = await Promise.all(
        nexts.map((next) =>
          store().rotate({
            sessionId: s.id,
            presentedHash,
            nextHash: next.hash,
            sealedSuccessor: next.sealed,
            now: s.now,
            idleTtlSeconds: IDLE_TTL_SECONDS,
            graceSeconds,
          }),
        ),
      );
      return results.map((result, i) => ({ result, next: nexts[i]! }));
    }

    describe("create and get", () => {
      it("returns the new session and then finds it", async () => {
        const s = await newSession();
        const expected: SessionRecord = {
          id: s.id,
          userId: s.userId,
          createdAt: s.now,
          lastUsedAt: s.now,
          idleExpiresAt: at(s.now, IDLE_TTL_SECONDS * SECOND),
          absoluteExpiresAt: at(s.now, MAX_LIFETIME_SECONDS * SECOND),
          userAgent: "vitest/4",
          ip: "203.0.113.7",
          amr: ["pwd"],
          authTime: s.now,
        };
        expect(s.record).toEqual(expected);
        expect(await store().get(s.id, s.now)).toEqual(expected);
      });

      it("keeps the login's amr and auth_time, also through a rotation", async () => {
        const userId = await ctx().createUser();
        const id = uuidv7();
        const token = createRefreshToken(id);
        const now = new Date();
        const authTime = at(now, -60 * SECOND);
        const record = await store().create({
          id,
          userId,
          tokenHash: await hashRefreshToken(token),
          userAgent: null,
          ip: null,
          now,
          idleTtlSeconds: IDLE_TTL_SECONDS,
          maxLifetimeSeconds: MAX_LIFETIME_SECONDS,
          amr: ["pwd", "otp", "mfa"],
          authTime,
        });
        expect(record).toMatchObject({ amr: ["pwd", "otp", "mfa"], authTime });
        const { result } = await rotate(id, token, at(now, 60 * SECOND));
        expect(result).toMatchObject({ outcome: "rotated", session: { amr: ["pwd", "otp", "mfa"], authTime } });
      });

      it("keeps a null user agent and ip as null", async () => {
        const userId = await ctx().createUser();
        const id = uuidv7();
        const now = new Date();
        const tokenHash = await hashRefreshToken(createRefreshToken(id));
        const created = await store().create({
          id,
          userId,
          tokenHash,
          userAgent: null,
          ip: null,
          now,
          idleTtlSeconds: IDLE_TTL_SECONDS,
          maxLifetimeSeconds: MAX_LIFETIME_SECONDS,
        });
        expect(created.userAgent).toBeNull();
        expect(created.ip).toBeNull();
        const found = await store().get(id, now);
        expect(found?.userAgent).toBeNull();
        expect(found?.ip).toBeNull();
      });

      it("never sets the idle expiry past the absolute one", async () => {
        const s = await newSession({ idleTtlSeconds: 7200, maxLifetimeSeconds: 60 });
        expect(s.record.idleExpiresAt).toEqual(at(s.now, 60 * SECOND));
        expect(s.record.absoluteExpiresAt).toEqual(at(s.now, 60 * SECOND));
      });

      it("returns null for an unknown or malformed id", async () => {
        expect(await store().get(uuidv7(), new Date())).toBeNull();
        expect(await store().get("not-a-session-id", new Date())).toBeNull();
      });

      it("returns null from the idle expiry on", async () => {
        const s = await newSession();
        const idleExpiry = IDLE_TTL_SECONDS * SECOND;
        expect(await store().get(s.id, at(s.now, idleExpiry - 1))).not.toBeNull();
        expect(await store().get(s.id, at(s.now, idleExpiry))).toBeNull();
        expect(await store().get(s.id, at(s.now, idleExpiry + 60 * SECOND))).toBeNull();
      });

      it("returns null from the absolute expiry on, even while each rotation renews the idle one", async () => {
        const s = await newSession();
        let token = s.token;
        // Refresh every 50 minutes: the idle expiry (60 minutes) never passes, the absolute one (4 hours) does.
        for (let minute = 50; minute < 4 * 60; minute += 50) {
          const { result, next } = await rotate(s.id, token, at(s.now, minute * 60 * SECOND));
          expect(result.outcome).toBe("rotated");
          token = next.token;
        }
        const absoluteExpiry = MAX_LIFETIME_SECONDS * SECOND;
        expect(await store().get(s.id, at(s.now, absoluteExpiry - 1))).not.toBeNull();
        expect(await store().get(s.id, at(s.now, absoluteExpiry))).toBeNull();
        const { result } = await rotate(s.id, token, at(s.now, absoluteExpiry));
        expect(result).toEqual({ outcome: "invalid" });
      });
    });

    describe("rotate", () => {
      it("rotates the current token and renews the idle expiry", async () => {
        const s = await newSession();
        const now = at(s.now, 30 * 60 * SECOND);
        const { result, next } = await rotate(s.id, s.token, now);
        const expected: SessionRecord = {
          ...s.record,
          lastUsedAt: now,
          idleExpiresAt: at(now, IDLE_TTL_SECONDS * SECOND),
        };
        expect(result).toEqual({ outcome: "rotated", session: expected });
        expect(await store().get(s.id, now)).toEqual(expected);
        // The successor is now current.
        const again = await rotate(s.id, next.token, at(now, 60 * SECOND));
        expect(again.result.outcome).toBe("rotated");
      });

      it("renews the idle expiry but never past the absolute expiry", async () => {
        const s = await newSession();
        const now = at(s.now, (MAX_LIFETIME_SECONDS - 600) * SECOND);
        // Keep the session alive up to ten minutes before its absolute end.
        let token = s.token;
        for (let minute = 50; minute * 60 < MAX_LIFETIME_SECONDS - 600; minute += 50) {
          const step = await rotate(s.id, token, at(s.now, minute * 60 * SECOND));
          expect(step.result.outcome).toBe("rotated");
          token = step.next.token;
        }
        const { result } = await rotate(s.id, token, now);
        expect(result.outcome).toBe("rotated");
        if (result.outcome !== "rotated") return;
        expect(result.session.idleExpiresAt).toEqual(s.record.absoluteExpiresAt);
        expect((await store().get(s.id, now))?.idleExpiresAt).toEqual(s.record.absoluteExpiresAt);
      });

      it("replays the same sealed successor for the just-rotated token within the grace window", async () => {
        const s = await newSession();
        const rotatedAt = at(s.now, 5 * SECOND);
        const first = await rotate(s.id, s.token, rotatedAt);
        expect(first.result.outcome).toBe("rotated");

        for (const delay of [0, 1, GRACE_SECONDS * SECOND]) {
          const retry = await rotate(s.id, s.token, at(rotatedAt, delay));
          expect(retry.result).toEqual({
            outcome: "replayed",
            session: await store().get(s.id, rotatedAt),
            sealedSuccessor: first.next.sealed,
          });
          // Only the holder of the presented token can open it, and it is the current successor.
          expect(await openSuccessor(s.token, first.next.sealed)).toBe(first.next.token);
        }
        // A replay changes nothing: the first successor is still the current token.
        const onward = await rotate(s.id, first.next.token, at(rotatedAt, 20 * SECOND));
        expect(onward.result.outcome).toBe("rotated");
      });

      it("treats the just-rotated token as reuse after the grace window: the session is revoked", async () => {
        const s = await newSession();
        const first = await rotate(s.id, s.token, s.now);
        expect(first.result.outcome).toBe("rotated");

        const late = await rotate(s.id, s.token, at(s.now, GRACE_SECONDS * SECOND + 1));
        expect(late.result).toEqual({ outcome: "reused", userId: s.userId });
        expect(await store().get(s.id, s.now)).toBeNull();
        // Every token of the family is dead, the successor included.
        const successor = await rotate(s.id, first.next.token, at(s.now, 20 * SECOND));
        expect(successor.result).toEqual({ outcome: "invalid" });
      });

      it("with a grace of 0 treats the just-rotated token as reuse at once", async () => {
        const s = await newSession();
        const first = await rotate(s.id, s.token, s.now, { graceSeconds: 0 });
        expect(first.result.outcome).toBe("rotated");
        const retry = await rotate(s.id, s.token, s.now, { graceSeconds: 0 });
        expect(retry.result).toEqual({ outcome: "reused", userId: s.userId });
        expect(await store().get(s.id, s.now)).toBeNull();
        const successor = await rotate(s.id, first.next.token, s.now, { graceSeconds: 0 });
        expect(successor.result).toEqual({ outcome: "invalid" });
      });

      it("treats a token two generations old as reuse, even within the grace window", async () => {
        const s = await newSession();
        const first = await rotate(s.id, s.token, s.now);
        const second = await rotate(s.id, first.next.token, at(s.now, 1));
        expect(second.result.outcome).toBe("rotated");
        const old = await rotate(s.id, s.token, at(s.now, 2));
        expect(old.result).toEqual({ outcome: "reused", userId: s.userId });
        expect(await store().get(s.id, s.now)).toBeNull();
        expect((await rotate(s.id, second.next.token, at(s.now, 3))).result).toEqual({ outcome: "invalid" });
      });

      it("answers invalid to an unknown token of a live session and changes nothing", async () => {
        const s = await newSession();
        const first = await rotate(s.id, s.token, s.now);
        expect(first.result.outcome).toBe("rotated");
        const before = await store().get(s.id, s.now);

        const stranger = createRefreshToken(s.id);
        const { result } = await rotate(s.id, stranger, at(s.now, SECOND));
        expect(result).toEqual({ outcome: "invalid" });
        expect(await store().get(s.id, s.now)).toEqual(before);
        // The current token still rotates and the previous one still replays: the state is intact.
        const replay = await rotate(s.id, s.token, at(s.now, 2 * SECOND));
        expect(replay.result.outcome).toBe("replayed");
        expect((await rotate(s.id, first.next.token, at(s.now, 3 * SECOND))).result.outcome).toBe("rotated");
      });

      it("answers invalid for a token of another session and changes neither", async () => {
        const a = await newSession();
        const b = await newSession({ userId: a.userId });
        const { result } = await rotate(a.id, b.token, a.now);
        expect(result).toEqual({ outcome: "invalid" });
        expect(await store().get(a.id, a.now)).toEqual(a.record);
        expect(await store().get(b.id, b.now)).toEqual(b.record);
      });

      it("answers invalid for an unknown or malformed session id", async () => {
        const id = uuidv7();
        expect((await rotate(id, createRefreshToken(id), new Date())).result).toEqual({ outcome: "invalid" });
        expect((await rotate("not-a-session-id", createRefreshToken(id), new Date())).result).toEqual({
          outcome: "invalid",
        });
      });

      it("answers invalid for an idle-expired session and changes nothing", async () => {
        const s = await newSession();
        const expired = at(s.now, IDLE_TTL_SECONDS * SECOND);
        expect((await rotate(s.id, s.token, expired)).result).toEqual({ outcome: "invalid" });
        // Still the same token, still current at a time the session lives.
        expect(await store().get(s.id, s.now)).toEqual(s.record);
        expect((await rotate(s.id, s.token, at(s.now, SECOND))).result.outcome).toBe("rotated");
      });

      it("answers invalid, not reuse, for a spent token of an expired session and keeps it", async () => {
        const s = await newSession();
        const first = await rotate(s.id, s.token, s.now);
        expect(first.result.outcome).toBe("rotated");
        const expired = at(s.now, IDLE_TTL_SECONDS * SECOND);
        expect((await rotate(s.id, s.token, expired)).result).toEqual({ outcome: "invalid" });
        expect(await store().get(s.id, s.now)).not.toBeNull();
      });

      it("answers invalid for a revoked session", async () => {
        const s = await newSession();
        expect(await store().revoke(s.id)).toBe(true);
        expect((await rotate(s.id, s.token, s.now)).result).toEqual({ outcome: "invalid" });
      });

      it("lets exactly one of 10 concurrent refreshes rotate; the others replay its successor", async () => {
        const s = await newSession();
        const attempts = await concurrentRotations(s, GRACE_SECONDS);
        const rotated = attempts.filter((a) => a.result.outcome === "rotated");
        const replayed = attempts.filter((a) => a.result.outcome === "replayed");
        expect(rotated).toHaveLength(1);
        expect(replayed).toHaveLength(9);
        const winner = rotated[0]!.next;
        for (const attempt of replayed) {
          expect(attempt.result).toMatchObject({ outcome: "replayed", sealedSuccessor: winner.sealed });
        }
        // One live branch: the winner's successor is current, no loser's successor was ever stored.
        const loser = replayed[0]!.next;
        expect((await rotate(s.id, loser.token, s.now)).result).toEqual({ outcome: "invalid" });
        expect((await rotate(s.id, winner.token, s.now)).result.outcome).toBe("rotated");
      });

      it("with a grace of 0 lets one of 10 concurrent refreshes rotate and revokes the session", async () => {
        const s = await newSession();
        const attempts = await concurrentRotations(s, 0);
        const outcomes = attempts.map((a) => a.result.outcome);
        expect(outcomes.filter((o) => o === "rotated")).toHaveLength(1);
        // The first call after the winner sees a spent token and revokes the session; the rest then
        // find no session at all, which the interface defines as "invalid" (revoked). None replays.
        expect(outcomes.filter((o) => o === "reused")).toHaveLength(1);
        expect(outcomes.filter((o) => o === "invalid")).toHaveLength(8);
        expect(await store().get(s.id, s.now)).toBeNull();
        const winner = attempts.find((a) => a.result.outcome === "rotated")!.next;
        expect((await rotate(s.id, winner.token, s.now, { graceSeconds: 0 })).result).toEqual({ outcome: "invalid" });
      });
    });

    describe("revokeWithToken", () => {
      /** A session rotated twice: `spent` is two generations old, `previous` one, `current` is live. */
      async function twiceRotated() {
        const s = await newSession();
        const first = await rotate(s.id, s.token, s.now);
        const second = await rotate(s.id, first.next.token, at(s.now, SECOND));
        expect(second.result.outcome).toBe("rotated");
        const current = await store().get(s.id, s.now);
        return { s, current, spent: s.token, previous: first.next.token, currentToken: second.next.token };
      }

      it.each(["currentToken", "previous", "spent"] as const)("revokes the session given its %s", async (which) => {
        const family = await twiceRotated();
        const revoked = await store().revokeWithToken(family.s.id, await hashRefreshToken(family[which]));
        expect(revoked).toEqual(family.current);
        expect(await store().get(family.s.id, family.s.now)).toBeNull();
        expect(await store().revokeWithToken(family.s.id, await hashRefreshToken(family[which]))).toBeNull();
      });

      it("revokes nothing for an unknown token or another session's token", async () => {
        const family = await twiceRotated();
        const other = await newSession({ userId: family.s.userId });
        expect(await store().revokeWithToken(family.s.id, await hashRefreshToken(createRefreshToken(family.s.id)))).toBeNull();
        expect(await store().revokeWithToken(family.s.id, other.tokenHash)).toBeNull();
        expect(await store().revokeWithToken(uuidv7(), other.tokenHash)).toBeNull();
        expect(await store().revokeWithToken("not-a-session-id", other.tokenHash)).toBeNull();
        expect(await store().get(family.s.id, family.s.now)).toEqual(family.current);
        expect(await store().get(other.id, other.now)).toEqual(other.record);
      });
    });

    describe("findByToken", () => {
      it("finds the live session by its current or previous token and changes nothing", async () => {
        const s = await newSession();
        const first = await rotate(s.id, s.token, s.now);
        const current = await store().get(s.id, s.now);
        expect(await store().findByToken(s.id, first.next.hash, s.now)).toEqual(current);
        expect(await store().findByToken(s.id, s.tokenHash, s.now)).toEqual(current);
        expect(await store().get(s.id, s.now)).toEqual(current);
      });

      it("finds nothing for a spent, unknown or foreign token, or an expired session", async () => {
        const s = await newSession();
        const first = await rotate(s.id, s.token, s.now);
        const second = await rotate(s.id, first.next.token, s.now);
        expect(second.result.outcome).toBe("rotated");
        expect(await store().findByToken(s.id, s.tokenHash, s.now)).toBeNull();
        expect(await store().findByToken(s.id, await hashRefreshToken(createRefreshToken(s.id)), s.now)).toBeNull();
        const other = await newSession({ userId: s.userId });
        expect(await store().findByToken(s.id, other.tokenHash, s.now)).toBeNull();
        expect(await store().findByToken("not-a-session-id", other.tokenHash, s.now)).toBeNull();
        expect(await store().findByToken(other.id, other.tokenHash, at(other.now, (IDLE_TTL_SECONDS + 1) * 1000))).toBeNull();
      });
    });

    describe("revoke", () => {
      it("revokes once and reports whether the session existed", async () => {
        const s = await newSession();
        const sibling = await newSession({ userId: s.userId });
        expect(await store().revoke(s.id)).toBe(true);
        expect(await store().get(s.id, s.now)).toBeNull();
        expect(await store().revoke(s.id)).toBe(false);
        expect(await store().revoke(uuidv7())).toBe(false);
        expect(await store().revoke("not-a-session-id")).toBe(false);
        expect(await store().get(sibling.id, sibling.now)).toEqual(sibling.record);
      });
    });

    describe("listByUser", () => {
      it("lists the user's live sessions newest first, never another user's", async () => {
        const t0 = new Date();
        const userId = await ctx().createUser();
        const short = await newSession({ userId, now: t0, idleTtlSeconds: 60 });
        const older = await newSession({ userId, now: at(t0, SECOND) });
        const revoked = await newSession({ userId, now: at(t0, 2 * SECOND) });
        const newer = await newSession({ userId, now: at(t0, 3 * SECOND) });
        const stranger = await newSession({ now: at(t0, 4 * SECOND) });
        expect(await store().revoke(revoked.id)).toBe(true);

        expect(await store().listByUser(userId, at(t0, 10 * SECOND))).toEqual([
          newer.record,
          older.record,
          short.record,
        ]);
        // Two minutes on, the short session has passed its idle expiry.
        expect(await store().listByUser(userId, at(t0, 120 * SECOND))).toEqual([newer.record, older.record]);
        expect(await store().listByUser(stranger.userId, at(t0, 10 * SECOND))).toEqual([stranger.record]);
        expect(await store().listByUser(await ctx().createUser(), t0)).toEqual([]);
      });

      it("shows a rotated session with its renewed times", async () => {
        const s = await newSession();
        const now = at(s.now, 10 * 60 * SECOND);
        const { result } = await rotate(s.id, s.token, now);
        expect(result.outcome).toBe("rotated");
        if (result.outcome !== "rotated") return;
        expect(await store().listByUser(s.userId, now)).toEqual([result.session]);
      });
    });

    describe("revokeAllForUser", () => {
      it("revokes every session of the user and no one else's", async () => {
        const userId = await ctx().createUser();
        const sessions = [await newSession({ userId }), await newSession({ userId }), await newSession({ userId })];
        const stranger = await newSession();
        expect(await store().revokeAllForUser(userId)).toBe(3);
        for (const s of sessions) expect(await store().get(s.id, s.now)).toBeNull();
        expect(await store().listByUser(userId, stranger.now)).toEqual([]);
        expect(await store().get(stranger.id, stranger.now)).toEqual(stranger.record);
        expect(await store().revokeAllForUser(userId)).toBe(0);
      });

      it("keeps the excepted session", async () => {
        const userId = await ctx().createUser();
        const t0 = new Date();
        const keep = await newSession({ userId, now: t0 });
        const others = [await newSession({ userId, now: t0 }), await newSession({ userId, now: t0 })];
        expect(await store().revokeAllForUser(userId, { exceptSessionId: keep.id })).toBe(2);
        for (const s of others) expect(await store().get(s.id, t0)).toBeNull();
        expect(await store().listByUser(userId, t0)).toEqual([keep.record]);
        expect((await rotate(keep.id, keep.token, t0)).result.outcome).toBe("rotated");
      });
    });

    describe("ping", () => {
      it("resolves while the backend answers", async () => {
        await expect(store().ping()).resolves.toBeUndefined();
      });
    });
  });
}
