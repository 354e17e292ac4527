import { afterAll, beforeAll } from "vitest";

/**
 * What a shared suite's factory returns: the thing under test and how to release it. The factory
 * runs once per suite, in its beforeAll, and `cleanup` in its afterAll (also when a test failed).
 */
export interface SuiteContext {
  cleanup(): Promise<void>;
}

/** The context of a store's contract suite: the store, and users its rows may belong to. */
export interface StoreTestContext<S> extends SuiteContext {
  store: S;
  /** A user the store's rows may belong to (SQL: a row their foreign keys point at). */
  createUser(): Promise<string>;
}

/**
 * Builds a suite's context in beforeAll and cleans it up in afterAll; call it inside the suite's
 * `describe`. The returned getter is for the tests and hooks, which run after the context exists.
 */
export function useSuiteContext<T extends SuiteContext>(make: () => Promise<T>): () => T {
  let ctx: T | undefined;
  beforeAll(async () => {
    ctx = await make();
  });
  afterAll(async () => {
    await ctx?.cleanup();
  });
  return () => {
    if (!ctx) throw new Error("the suite's context is read before its beforeAll built it");
    return ctx;
  };
}
