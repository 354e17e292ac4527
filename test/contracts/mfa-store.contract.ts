import { describe, expect, it } from "vitest";
import { useSuiteContext, type StoreTestContext } from "../helpers/suite-context.js";
import type { MfaStore } from "../../src/mfa/store.js";

export type MfaStoreTestContext = StoreTestContext<MfaStore>;

const MINUTE = 60_000;

/** The behaviour every MfaStore shares; time moves by passing a later `now`. */
export function describeMfaStoreContract(name: string, makeStore: () => Promise<MfaStoreTestContext>): void {
  describe(`MfaStore contract: ${name}`, () => {
    const ctx = useSuiteContext(makeStore);
    const store = () => ctx().store;

    async function confirmed(step = 100) {
      const userId = await ctx().createUser();
      const now = new Date();
      expect(await store().putPendingTotp(userId, "sealed-1", now)).toBe(true);
      expect(await store().acceptTotpStep(userId, step, now, { confirm: true })).toBe(true);
      return { userId, now };
    }

    it("keeps a pending factor until its first step is accepted, then refuses a new enrolment", async () => {
      const userId = await ctx().createUser();
      const now = new Date();
      expect(await store().findTotp(userId)).toBeNull();
      expect(await store().putPendingTotp(userId, "sealed-1", now)).toBe(true);
      // A restarted enrolment replaces the pending secret.
      expect(await store().putPendingTotp(userId, "sealed-2", now)).toBe(true);
      expect(await store().findTotp(userId)).toMatchObject({ userId, secretSealed: "sealed-2", confirmedAt: null, lastStep: -1 });
      // A pending factor does not accept a login step, only a confirmation.
      expect(await store().acceptTotpStep(userId, 10, now, { confirm: false })).toBe(false);
      expect(await store().acceptTotpStep(userId, 10, now, { confirm: true })).toBe(true);
      expect(await store().findTotp(userId)).toMatchObject({ secretSealed: "sealed-2", lastStep: 10 });
      expect((await store().findTotp(userId))!.confirmedAt).toBeInstanceOf(Date);
      expect(await store().putPendingTotp(userId, "sealed-3", now)).toBe(false);
      expect(await store().findTotp(userId)).toMatchObject({ secretSealed: "sealed-2" });
      expect(await store().acceptTotpStep(userId, 11, now, { confirm: true })).toBe(false);
    });

    it("accepts a time step once, never one at or below the last accepted", async () => {
      const { userId, now } = await confirmed(100);
      expect(await store().acceptTotpStep(userId, 100, now, { confirm: false })).toBe(false);
      expect(await store().acceptTotpStep(userId, 99, now, { confirm: false })).toBe(false);
      expect(await store().acceptTotpStep(userId, 101, now, { confirm: false })).toBe(true);
      expect(await store().acceptTotpStep(userId, 101, now, { confirm: false })).toBe(false);
    });

    it("of 10 concurrent acceptances of one step, exactly one succeeds", async () => {
      const { userId, now } = await confirmed(100);
      const results = await Promise.all(Array.from({ length: 10 }, () => store().acceptTotpStep(userId, 101, now, { confirm: false })));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("spends a recovery code once, only for its user; a new set replaces the old", async () => {
      const { userId, now } = await confirmed();
      const other = await ctx().createUser();
      await store().replaceRecoveryCodes(userId, ["h1", "h2", "h3"], now);
      expect(await store().countRecoveryCodes(userId)).toBe(3);
      expect(await store().consumeRecoveryCode(other, "h1", now)).toBe(false);
      expect(await store().consumeRecoveryCode(userId, "h1", now)).toBe(true);
      expect(await store().consumeRecoveryCode(userId, "h1", now)).toBe(false);
      expect(await store().countRecoveryCodes(userId)).toBe(2);
      await store().replaceRecoveryCodes(userId, ["h4", "h5"], now);
      expect(await store().consumeRecoveryCode(userId, "h2", now)).toBe(false);
      expect(await store().countRecoveryCodes(userId)).toBe(2);
    });

    it("of 10 concurrent uses of one recovery code, exactly one succeeds", async () => {
      const { userId, now } = await confirmed();
      await store().replaceRecoveryCodes(userId, ["c1"], now);
      const results = await Promise.all(Array.from({ length: 10 }, () => store().consumeRecoveryCode(userId, "c1", now)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("removing the factor removes its recovery codes", async () => {
      const { userId, now } = await confirmed();
      await store().replaceRecoveryCodes(userId, ["d1"], now);
      expect(await store().deleteTotp(userId)).toBe(true);
      expect(await store().deleteTotp(userId)).toBe(false);
      expect(await store().findTotp(userId)).toBeNull();
      expect(await store().countRecoveryCodes(userId)).toBe(0);
      expect(await store().consumeRecoveryCode(userId, "d1", now)).toBe(false);
    });

    it("a login challenge is spent once, expires, and ends at the failure that reaches the limit", async () => {
      const userId = await ctx().createUser();
      const now = new Date();
      const make = async (tokenHash: string) =>
        store().createLoginChallenge({ tokenHash, userId, createdAt: now, expiresAt: new Date(now.getTime() + 5 * MINUTE), failedAttempts: 0 });
      await make("t1");
      expect(await store().peekLoginChallenge("t1", now)).toMatchObject({ userId, failedAttempts: 0 });
      expect(await store().peekLoginChallenge("t1", new Date(now.getTime() + 5 * MINUTE))).toBeNull();
      const results = await Promise.all(Array.from({ length: 10 }, () => store().consumeLoginChallenge("t1", now)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().peekLoginChallenge("t1", now)).toBeNull();

      await make("t2");
      for (let attempt = 1; attempt <= 4; attempt++) expect(await store().failLoginChallenge("t2", now, 5)).toBe(attempt);
      expect(await store().peekLoginChallenge("t2", now)).toMatchObject({ failedAttempts: 4 });
      expect(await store().failLoginChallenge("t2", now, 5)).toBe(5);
      expect(await store().peekLoginChallenge("t2", now)).toBeNull();
      expect(await store().failLoginChallenge("t2", now, 5)).toBeNull();
      expect(await store().consumeLoginChallenge("t2", now)).toBeNull();
      expect(await store().consumeLoginChallenge("unknown", now)).toBeNull();
      expect(await store().pruneBefore(new Date(now.getTime() + 6 * MINUTE))).toBeGreaterThanOrEqual(2);
    });
  });
}
