import { describe, expect, it } from "vitest";
import { createOneTimeToken, hashOneTimeToken } from "../../src/recovery/one-time-token.js";
import type { OneTimeTokenPurpose, OneTimeTokenStore } from "../../src/recovery/token-store.js";
import { useSuiteContext, type StoreTestContext } from "../helpers/suite-context.js";

export type OneTimeTokenStoreTestContext = StoreTestContext<OneTimeTokenStore>;

const MINUTE = 60_000;

/** The behaviour every OneTimeTokenStore shares; time moves by passing a later `now`. */
export function describeOneTimeTokenStoreContract(name: string, makeStore: () => Promise<OneTimeTokenStoreTestContext>): void {
  describe(`OneTimeTokenStore contract: ${name}`, () => {
    const ctx = useSuiteContext(makeStore);
    const store = () => ctx().store;

    async function issue(purpose: OneTimeTokenPurpose = "password_reset", userId?: string, now = new Date()) {
      const owner = userId ?? (await ctx().createUser());
      const tokenHash = await hashOneTimeToken(createOneTimeToken());
      await store().create({ tokenHash, userId: owner, purpose, email: "owner@example.test", createdAt: now, expiresAt: new Date(now.getTime() + 30 * MINUTE) });
      return { tokenHash, userId: owner, now };
    }

    it("consumes a live token once, with its record", async () => {
      const { tokenHash, userId, now } = await issue();
      expect(await store().peek(tokenHash, ["password_reset"], now)).toMatchObject({ userId, purpose: "password_reset" });
      expect(await store().consume(tokenHash, ["password_reset"], now)).toMatchObject({ userId, purpose: "password_reset", email: "owner@example.test" });
      expect(await store().consume(tokenHash, ["password_reset"], now)).toBeNull();
      expect(await store().peek(tokenHash, ["password_reset"], now)).toBeNull();
    });

    it("of 10 concurrent consumes, exactly one gets the record", async () => {
      const { tokenHash, now } = await issue();
      const results = await Promise.all(Array.from({ length: 10 }, () => store().consume(tokenHash, ["password_reset"], now)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("refuses another purpose, an expired token and an unknown one", async () => {
      const { tokenHash, now } = await issue("email_verification");
      expect(await store().consume(tokenHash, ["password_reset"], now)).toBeNull();
      expect(await store().consume(tokenHash, ["email_verification"], new Date(now.getTime() + 30 * MINUTE))).toBeNull();
      expect(await store().consume(await hashOneTimeToken(createOneTimeToken()), ["password_reset"], now)).toBeNull();
      // None of those spent it.
      expect(await store().consume(tokenHash, ["email_verification", "email_change"], now)).not.toBeNull();
    });

    it("revokes every live token of one user and purpose, and only those", async () => {
      const first = await issue("password_reset");
      const second = await issue("password_reset", first.userId);
      const verification = await issue("email_verification", first.userId);
      const otherUser = await issue("password_reset");
      expect(await store().revokeAll(first.userId, "password_reset", first.now)).toBe(2);
      expect(await store().consume(first.tokenHash, ["password_reset"], first.now)).toBeNull();
      expect(await store().consume(second.tokenHash, ["password_reset"], first.now)).toBeNull();
      expect(await store().consume(verification.tokenHash, ["email_verification"], first.now)).not.toBeNull();
      expect(await store().consume(otherUser.tokenHash, ["password_reset"], first.now)).not.toBeNull();
    });

    it("prunes expired and spent tokens", async () => {
      const now = new Date();
      const live = await issue("password_reset", undefined, now);
      const spent = await issue("password_reset", undefined, now);
      await store().consume(spent.tokenHash, ["password_reset"], now);
      expect(await store().pruneBefore(new Date(now.getTime() + 1))).toBeGreaterThanOrEqual(1);
      expect(await store().peek(live.tokenHash, ["password_reset"], now)).not.toBeNull();
    });
  });
}
