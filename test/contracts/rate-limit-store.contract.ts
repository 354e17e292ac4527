import type { Store } from "hono-rate-limiter";
import { describe, expect, it } from "vitest";
import { useSuiteContext } from "../helpers/suite-context.js";

export interface RateLimitStoreTestContext {
  store: Store;
  cleanup(): Promise<void>;
}

const WINDOW_MS = 60_000;

/**
 * The hono-rate-limiter Store semantics the middleware relies on, for every store it uses (its
 * MemoryStore, ours on Redis and on a Redis Cluster). Each test counts under keys of its own.
 */
export function describeRateLimitStoreContract(name: string, makeStore: () => Promise<RateLimitStoreTestContext>): void {
  describe(`rate-limit store: ${name}`, () => {
    const ctx = useSuiteContext(async () => {
      const context = await makeStore();
      context.store.init?.({ windowMs: WINDOW_MS } as Parameters<NonNullable<Store["init"]>>[0]);
      return context;
    });
    const store = () => ctx().store;

    it("counts hits per key with the window's reset time", async () => {
      const key = crypto.randomUUID();
      const started = Date.now();
      const first = await store().increment(key);
      expect(first.totalHits).toBe(1);
      expect(first.resetTime!.getTime()).toBeGreaterThan(started + 55_000);
      expect(first.resetTime!.getTime()).toBeLessThanOrEqual(Date.now() + WINDOW_MS);
      expect((await store().increment(key)).totalHits).toBe(2);
      expect((await store().increment(crypto.randomUUID())).totalHits).toBe(1);
    });

    /** One hit, its count read as the call returns it: MemoryStore hands back its live counter object. */
    async function hit(key: string): Promise<number> {
      const counted = store().increment(key);
      return counted instanceof Promise ? (await counted).totalHits : counted.totalHits;
    }

    it("counts concurrent hits atomically", async () => {
      const key = crypto.randomUUID();
      const results = await Promise.all(Array.from({ length: 50 }, () => hit(key)));
      expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it("counts hits per bucket, atomically under concurrency, and get reads the count and the window's reset time", async () => {
      const bucket = `198.51.100.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 30 }, () => hit(bucket)));
      expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      const info = await store().get!(bucket);
      expect(info?.totalHits).toBe(30);
      expect(info!.resetTime!.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect((await store().increment(crypto.randomUUID())).totalHits).toBe(1);
    });

    it("decrements never below zero, and resetKey starts the count again", async () => {
      const key = crypto.randomUUID();
      await store().increment(key);
      await store().decrement(key);
      await store().decrement(key);
      expect((await store().increment(key)).totalHits).toBe(1);
      await store().resetKey(key);
      expect((await store().increment(key)).totalHits).toBe(1);
    });
  });
}
