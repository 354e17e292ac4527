import { describe, expect, it } from "vitest";
import { RESERVATION_LEASE_MS, type LoginThrottleKeys, type LoginThrottleRule, type LoginThrottleStore } from "../../src/login-throttle/store.js";
import { useSuiteContext } from "../helpers/suite-context.js";

export interface LoginThrottleStoreTestContext {
  store: LoginThrottleStore;
  cleanup(): Promise<void>;
}

const RULE: LoginThrottleRule = {
  maxFailures: 3,
  windowSeconds: 600,
  baseBackoffSeconds: 30,
  maxBackoffSeconds: 240,
  accountMaxFailures: 7,
  accountWindowSeconds: 3600,
};
const SECOND = 1000;

/**
 * The semantics every LoginThrottleStore shares (the pattern of the session-store contract): time
 * moves by passing a later `now`, never by sleeping; every test uses keys of its own.
 */
export function describeLoginThrottleStoreContract(name: string, makeStore: () => Promise<LoginThrottleStoreTestContext>): void {
  describe(`LoginThrottleStore contract: ${name}`, () => {
    const ctx = useSuiteContext(makeStore);
    const store = () => ctx().store;

    const freshAccount = () => `account-${crypto.randomUUID()}`;
    const keysOf = (account: string, source = "192.0.2.1"): LoginThrottleKeys => ({ account, source });
    const at = (start: number, seconds: number) => new Date(start + seconds * SECOND);
    const reservation = () => crypto.randomUUID();

    /** One whole failed attempt: begin (must be allowed), then fail. */
    async function failOnce(keys: LoginThrottleKeys, now: Date) {
      const id = reservation();
      expect(await store().begin(keys, id, now, RULE)).toEqual({ outcome: "allowed" });
      return store().fail(keys, id, now, RULE);
    }

    it("allows maxFailures failures from one source, then refuses it until the first back-off ends", async () => {
      const keys = keysOf(freshAccount());
      const t0 = Date.now();
      for (let failure = 1; failure <= RULE.maxFailures; failure++) {
        expect(await failOnce(keys, at(t0, failure))).toEqual({ sourceFailures: failure, accountFailures: failure });
      }
      // The third failure (at t0+3s) locked the source for 30 s: until t0+33s.
      expect(await store().begin(keys, reservation(), at(t0, 4), RULE)).toEqual({ outcome: "refused", scope: "source", retryAfterMs: 29 * SECOND });
      expect(await store().begin(keys, reservation(), at(t0, 32), RULE)).toEqual({ outcome: "refused", scope: "source", retryAfterMs: 1 * SECOND });
      expect(await failOnce(keys, at(t0, 33))).toEqual({ sourceFailures: 4, accountFailures: 4 });
    });

    it("doubles the back-off with each further failure, up to the maximum", async () => {
      const keys = keysOf(freshAccount());
      const t0 = Date.now();
      let now = 0;
      for (let failure = 1; failure <= RULE.maxFailures; failure++) await failOnce(keys, at(t0, now));
      const locks: number[] = [];
      for (let step = 0; step < 3; step++) {
        const refused = await store().begin(keys, reservation(), at(t0, now), RULE);
        expect(refused.outcome).toBe("refused");
        const lockSeconds = (refused as { retryAfterMs: number }).retryAfterMs / SECOND;
        locks.push(lockSeconds);
        now += lockSeconds;
        await failOnce(keys, at(t0, now));
      }
      expect(locks).toEqual([30, 60, 120]);
    });

    it("a source in back-off leaves other sources of the account alone, up to the account's hard cap", async () => {
      const account = freshAccount();
      const t0 = Date.now();
      for (let i = 0; i < RULE.maxFailures; i++) await failOnce(keysOf(account, "attacker"), at(t0, 0));
      expect((await store().begin(keysOf(account, "attacker"), reservation(), at(t0, 1), RULE)).outcome).toBe("refused");
      const owner = keysOf(account, "owner");
      const id = reservation();
      expect(await store().begin(owner, id, at(t0, 1), RULE)).toEqual({ outcome: "allowed" });
      await store().release(owner, id);
      // Four more failures from other sources reach the cap of 7: then every source is refused.
      for (let i = 0; i < 4; i++) await failOnce(keysOf(account, `botnet-${i}`), at(t0, 2));
      expect(await store().begin(owner, reservation(), at(t0, 3), RULE)).toEqual({ outcome: "refused", scope: "account", retryAfterMs: 3599 * SECOND });
      // Forgotten once the account has been quiet for its window.
      expect(await store().begin(owner, reservation(), at(t0, 2 + 3600), RULE)).toEqual({ outcome: "allowed" });
    });

    it("success resets the account and this source, not the other sources", async () => {
      const account = freshAccount();
      const t0 = Date.now();
      for (let i = 0; i < RULE.maxFailures; i++) await failOnce(keysOf(account, "attacker"), at(t0, 0));
      for (let i = 0; i < 2; i++) await failOnce(keysOf(account, "owner"), at(t0, 0));
      const id = reservation();
      expect(await store().begin(keysOf(account, "owner"), id, at(t0, 1), RULE)).toEqual({ outcome: "allowed" });
      await store().succeed(keysOf(account, "owner"), id);
      expect(await failOnce(keysOf(account, "owner"), at(t0, 2))).toEqual({ sourceFailures: 1, accountFailures: 1 });
      expect((await store().begin(keysOf(account, "attacker"), reservation(), at(t0, 2), RULE)).outcome).toBe("refused");
    });

    it("counts nothing for attempts in flight: more than maxFailures concurrent attempts that succeed all get through", async () => {
      const keys = keysOf(freshAccount());
      const now = new Date();
      const ids = Array.from({ length: 10 }, reservation);
      const first = await Promise.all(ids.map((id) => store().begin(keys, id, now, RULE)));
      // Only as many in flight as failures remain; the rest are told to wait, not refused.
      expect(first.filter((d) => d.outcome === "allowed")).toHaveLength(RULE.maxFailures);
      expect(first.filter((d) => d.outcome === "busy")).toHaveLength(10 - RULE.maxFailures);
      const allowed = ids.filter((_, i) => first[i]!.outcome === "allowed");
      await Promise.all(allowed.map((id) => store().succeed(keys, id)));
      const waiting = ids.filter((_, i) => first[i]!.outcome === "busy");
      const second = await Promise.all(waiting.map((id) => store().begin(keys, id, now, RULE)));
      expect(second.filter((d) => d.outcome === "allowed")).toHaveLength(RULE.maxFailures);
    });

    it("keeps a concurrent burst of wrong guesses within the budget: exactly maxFailures are checked", async () => {
      const keys = keysOf(freshAccount());
      const now = new Date();
      let checked = 0;
      const guess = async () => {
        for (;;) {
          const id = reservation();
          const decision = await store().begin(keys, id, now, RULE);
          if (decision.outcome === "refused") return "refused";
          if (decision.outcome === "allowed") {
            checked++;
            await store().fail(keys, id, now, RULE);
            return "failed";
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      const outcomes = await Promise.all(Array.from({ length: 20 }, guess));
      expect(checked).toBe(RULE.maxFailures);
      expect(outcomes.filter((o) => o === "refused")).toHaveLength(20 - RULE.maxFailures);
    });

    it("in back-off (lock over, budget spent) lets one attempt at a time through", async () => {
      const keys = keysOf(freshAccount());
      const t0 = Date.now();
      for (let i = 0; i < RULE.maxFailures; i++) await failOnce(keys, at(t0, 0));
      const decisions = await Promise.all(Array.from({ length: 5 }, () => store().begin(keys, reservation(), at(t0, 30), RULE)));
      expect(decisions.map((d) => d.outcome).sort()).toEqual(["allowed", "busy", "busy", "busy", "busy"]);
    });

    it("release ends a reservation without counting; a lost reservation's lease runs out", async () => {
      const keys = keysOf(freshAccount());
      const t0 = Date.now();
      const held = Array.from({ length: RULE.maxFailures }, reservation);
      for (const id of held) expect(await store().begin(keys, id, at(t0, 0), RULE)).toEqual({ outcome: "allowed" });
      expect(await store().begin(keys, reservation(), at(t0, 0), RULE)).toEqual({ outcome: "busy" });
      await store().release(keys, held[0]!);
      const id = reservation();
      expect(await store().begin(keys, id, at(t0, 0), RULE)).toEqual({ outcome: "allowed" });
      // The others are never reported back (a crashed instance): their leases end.
      expect(await store().begin(keys, reservation(), at(t0, RESERVATION_LEASE_MS / SECOND - 1), RULE)).toEqual({ outcome: "busy" });
      expect(await store().begin(keys, reservation(), at(t0, RESERVATION_LEASE_MS / SECOND), RULE)).toEqual({ outcome: "allowed" });
      // Nothing was counted: the next failure is the first.
      expect(await store().fail(keys, id, at(t0, RESERVATION_LEASE_MS / SECOND), RULE)).toEqual({ sourceFailures: 1, accountFailures: 1 });
      await store().release(keysOf(freshAccount()), reservation()); // unknown keys are no error
      await store().succeed(keysOf(freshAccount()), reservation());
    });

    it("forgets a source's count once its window passes without failures, and a lock plus the window after it", async () => {
      const account = freshAccount();
      const keys = keysOf(account);
      const t0 = Date.now();
      await failOnce(keys, at(t0, 0));
      await failOnce(keys, at(t0, 0));
      expect(await failOnce(keys, at(t0, 599))).toMatchObject({ sourceFailures: 3 });
      // Locked at t0+599s for 30 s; the record lives until the lock's end plus the window.
      expect(await failOnce(keys, at(t0, 599 + 30 + 600))).toMatchObject({ sourceFailures: 1 });
    });

    it("keeps accounts apart", async () => {
      const [a, b] = [keysOf(freshAccount()), keysOf(freshAccount())];
      const now = new Date();
      for (let i = 0; i < RULE.maxFailures; i++) await failOnce(a, now);
      expect((await store().begin(a, reservation(), now, RULE)).outcome).toBe("refused");
      expect(await failOnce(b, now)).toEqual({ sourceFailures: 1, accountFailures: 1 });
    });
  });
}
