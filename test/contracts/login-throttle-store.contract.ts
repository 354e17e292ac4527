import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoginThrottleRule, LoginThrottleStore } from "../../src/login-throttle/store.js";

export interface LoginThrottleStoreTestContext {
  store: LoginThrottleStore;
  cleanup(): Promise<void>;
}

const RULE: LoginThrottleRule = { maxFailures: 3, windowSeconds: 600, baseBackoffSeconds: 30, maxBackoffSeconds: 240 };
const SECOND = 1000;

/**
 * The semantics every LoginThrottleStore shares (the pattern of the session-store contract): time
 * moves by passing a later `now`, never by sleeping; every test uses keys of its own.
 */
export function describeLoginThrottleStoreContract(name: string, makeStore: () => Promise<LoginThrottleStoreTestContext>): void {
  describe(`LoginThrottleStore contract: ${name}`, () => {
    let ctx: LoginThrottleStoreTestContext | undefined;
    const store = () => ctx!.store;
    beforeAll(async () => {
      ctx = await makeStore();
    });
    afterAll(async () => {
      await ctx?.cleanup();
    });

    const freshKey = () => `key-${crypto.randomUUID()}`;
    const at = (start: number, seconds: number) => new Date(start + seconds * SECOND);

    it("allows maxFailures attempts, counting each, then refuses until the first back-off ends", async () => {
      const key = freshKey();
      const t0 = Date.now();
      for (let attempt = 1; attempt <= RULE.maxFailures; attempt++) {
        expect(await store().attempt(key, at(t0, attempt), RULE)).toEqual({ allowed: true, attempts: attempt });
      }
      // The third attempt (at t0+3s) locked the key for 30 s: until t0+33s.
      expect(await store().attempt(key, at(t0, 4), RULE)).toEqual({ allowed: false, retryAfterMs: 29 * SECOND });
      expect(await store().attempt(key, at(t0, 32), RULE)).toEqual({ allowed: false, retryAfterMs: 1 * SECOND });
      expect(await store().attempt(key, at(t0, 33), RULE)).toEqual({ allowed: true, attempts: 4 });
    });

    it("doubles the back-off with each further failure, up to the maximum", async () => {
      const key = freshKey();
      const t0 = Date.now();
      let now = 0;
      for (let attempt = 1; attempt <= RULE.maxFailures; attempt++) await store().attempt(key, at(t0, now), RULE);
      const locks: number[] = [];
      for (let step = 0; step < 5; step++) {
        const refused = await store().attempt(key, at(t0, now), RULE);
        expect(refused.allowed).toBe(false);
        const lockSeconds = (refused as { retryAfterMs: number }).retryAfterMs / SECOND;
        locks.push(lockSeconds);
        now += lockSeconds;
        expect((await store().attempt(key, at(t0, now), RULE)).allowed).toBe(true);
      }
      expect(locks).toEqual([30, 60, 120, 240, 240]);
    });

    it("refuses without counting while locked: hammering a locked key does not lengthen the lock", async () => {
      const key = freshKey();
      const t0 = Date.now();
      for (let attempt = 1; attempt <= RULE.maxFailures; attempt++) await store().attempt(key, at(t0, 0), RULE);
      for (let i = 0; i < 10; i++) expect((await store().attempt(key, at(t0, 1), RULE)).allowed).toBe(false);
      expect(await store().attempt(key, at(t0, 30), RULE)).toEqual({ allowed: true, attempts: RULE.maxFailures + 1 });
    });

    it("counts concurrent attempts atomically: exactly maxFailures of a burst get through", async () => {
      const key = freshKey();
      const now = new Date();
      const decisions = await Promise.all(Array.from({ length: 20 }, () => store().attempt(key, now, RULE)));
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(RULE.maxFailures);
      const counts = decisions.flatMap((decision) => (decision.allowed ? [decision.attempts] : [])).sort();
      expect(counts).toEqual([1, 2, 3]);
    });

    it("reset forgets the key: the next attempt is the first again", async () => {
      const key = freshKey();
      const t0 = Date.now();
      for (let attempt = 1; attempt <= RULE.maxFailures; attempt++) await store().attempt(key, at(t0, 0), RULE);
      await store().reset(key);
      expect(await store().attempt(key, at(t0, 1), RULE)).toEqual({ allowed: true, attempts: 1 });
      await store().reset(freshKey()); // an unknown key is no error
    });

    it("refund takes back one attempt and the lock it set", async () => {
      const key = freshKey();
      const t0 = Date.now();
      for (let attempt = 1; attempt <= RULE.maxFailures; attempt++) await store().attempt(key, at(t0, 0), RULE);
      await store().refund(key, at(t0, 0));
      expect(await store().attempt(key, at(t0, 1), RULE)).toEqual({ allowed: true, attempts: RULE.maxFailures });
      await store().refund(freshKey(), at(t0, 0)); // an unknown key is no error and creates nothing
      const unknown = freshKey();
      await store().refund(unknown, at(t0, 0));
      expect(await store().attempt(unknown, at(t0, 0), RULE)).toEqual({ allowed: true, attempts: 1 });
    });

    it("forgets the count once the window passes without attempts, and a lock plus the window after it", async () => {
      const key = freshKey();
      const t0 = Date.now();
      await store().attempt(key, at(t0, 0), RULE);
      await store().attempt(key, at(t0, 0), RULE);
      expect(await store().attempt(key, at(t0, 599), RULE)).toEqual({ allowed: true, attempts: 3 });
      // Locked at t0+599s for 30 s; the record lives until the lock's end plus the window.
      expect(await store().attempt(key, at(t0, 599 + 30 + 599), RULE)).toEqual({ allowed: true, attempts: 4 });
      const other = freshKey();
      await store().attempt(other, at(t0, 0), RULE);
      expect(await store().attempt(other, at(t0, 600), RULE)).toEqual({ allowed: true, attempts: 1 });
    });

    it("keeps keys apart", async () => {
      const [a, b] = [freshKey(), freshKey()];
      const now = new Date();
      for (let attempt = 1; attempt <= RULE.maxFailures; attempt++) await store().attempt(a, now, RULE);
      expect((await store().attempt(a, now, RULE)).allowed).toBe(false);
      expect(await store().attempt(b, now, RULE)).toEqual({ allowed: true, attempts: 1 });
    });
  });
}
