import { describe, expect, it } from "vitest";
import { uuidv7 } from "uuidv7";
import { useSuiteContext, type StoreTestContext } from "../helpers/suite-context.js";
import type { PasskeyRecord, PasskeyStore } from "../../src/passkeys/store.js";

export type PasskeyStoreTestContext = StoreTestContext<PasskeyStore>;

const MINUTE = 60_000;

/** The behaviour every PasskeyStore shares; time moves by passing a later `now`. */
export function describePasskeyStoreContract(name: string, makeStore: () => Promise<PasskeyStoreTestContext>): void {
  describe(`PasskeyStore contract: ${name}`, () => {
    const ctx = useSuiteContext(makeStore);
    const store = () => ctx().store;

    function passkey(userId: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord {
      return {
        id: uuidv7(),
        userId,
        credentialId: `cred-${crypto.randomUUID()}`,
        publicKey: "pQECAyYgASFYIA",
        signCount: 0,
        transports: ["internal", "hybrid"],
        deviceType: "singleDevice",
        backedUp: false,
        name: null,
        createdAt: new Date(),
        lastUsedAt: null,
        ...overrides,
      };
    }

    it("stores a passkey, finds it by credential id, lists and counts a user's, refuses a credential id twice", async () => {
      const userId = await ctx().createUser();
      const other = await ctx().createUser();
      const first = passkey(userId, { name: "Laptop", createdAt: new Date(Date.now() - MINUTE) });
      const second = passkey(userId, { deviceType: "multiDevice", backedUp: true });
      expect(await store().createCredential(first)).toBe(true);
      expect(await store().createCredential(second)).toBe(true);
      expect(await store().createCredential(passkey(other, { credentialId: first.credentialId }))).toBe(false);
      expect(await store().findByCredentialId(first.credentialId)).toEqual(first);
      expect(await store().findByCredentialId("unknown")).toBeNull();
      expect((await store().listByUser(userId)).map((p) => p.id)).toEqual([first.id, second.id]);
      expect(await store().countByUser(userId)).toBe(2);
      expect(await store().countByUser(other)).toBe(0);
    });

    it("moves the counter only forward: of 10 concurrent uses with one counter, exactly one is recorded", async () => {
      const userId = await ctx().createUser();
      const record = passkey(userId, { signCount: 5 });
      await store().createCredential(record);
      const now = new Date();
      expect(await store().recordUse(record.id, { signCount: 5, backedUp: false, now })).toBe(false);
      expect(await store().recordUse(record.id, { signCount: 4, backedUp: false, now })).toBe(false);
      expect(await store().recordUse(record.id, { signCount: 0, backedUp: false, now })).toBe(false);
      const results = await Promise.all(Array.from({ length: 10 }, () => store().recordUse(record.id, { signCount: 6, backedUp: true, now })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().findByCredentialId(record.credentialId)).toMatchObject({ signCount: 6, backedUp: true, lastUsedAt: now });
    });

    it("an authenticator without a counter (always 0) is recorded each time", async () => {
      const userId = await ctx().createUser();
      const record = passkey(userId);
      await store().createCredential(record);
      expect(await store().recordUse(record.id, { signCount: 0, backedUp: false, now: new Date() })).toBe(true);
      expect(await store().recordUse(record.id, { signCount: 0, backedUp: false, now: new Date() })).toBe(true);
    });

    it("deletes a user's passkey only for that user, and all of them at once", async () => {
      const userId = await ctx().createUser();
      const other = await ctx().createUser();
      const record = passkey(userId);
      await store().createCredential(record);
      await store().createCredential(passkey(userId));
      expect(await store().deleteCredential(other, record.id)).toBe(false);
      expect(await store().deleteCredential(userId, record.id)).toBe(true);
      expect(await store().deleteCredential(userId, record.id)).toBe(false);
      expect(await store().deleteAllForUser(userId)).toBe(1);
      expect(await store().countByUser(userId)).toBe(0);
    });

    it("a challenge is spent once (of 10 concurrent uses, one), only by its own ceremony, and not after it expires", async () => {
      const userId = await ctx().createUser();
      const now = new Date();
      const make = (challengeHash: string, ceremony: "registration" | "login" | "second_factor", ttl = 5 * MINUTE) =>
        store().createChallenge({ challengeHash, ceremony, userId, mfaTokenHash: ceremony === "second_factor" ? "mfa-hash" : null, createdAt: now, expiresAt: new Date(now.getTime() + ttl) });
      await make("c1", "registration");
      expect(await store().consumeChallenge("c1", "login", now)).toBeNull();
      const results = await Promise.all(Array.from({ length: 10 }, () => store().consumeChallenge("c1", "registration", now)));
      expect(results.filter(Boolean)).toEqual([expect.objectContaining({ ceremony: "registration", userId, mfaTokenHash: null })]);
      expect(await store().consumeChallenge("c1", "registration", now)).toBeNull();

      await make("c2", "second_factor");
      expect(await store().consumeChallenge("c2", "second_factor", new Date(now.getTime() + 5 * MINUTE))).toBeNull();
      expect(await store().pruneBefore(new Date(now.getTime() + 6 * MINUTE))).toBeGreaterThanOrEqual(1);
      expect(await store().consumeChallenge("c2", "second_factor", now)).toBeNull();

      // A challenge bound to nobody who exists (a login for an unknown email) is stored all the same.
      await store().createChallenge({ challengeHash: "c3", ceremony: "login", userId: uuidv7(), mfaTokenHash: null, createdAt: now, expiresAt: new Date(now.getTime() + MINUTE) });
      expect(await store().consumeChallenge("c3", "login", now)).toMatchObject({ ceremony: "login" });
    });
  });
}
