import { afterEach } from "vitest";
import type { Argon2Params, PasswordHasher } from "../../src/password/hasher.js";

/** Argon2id at toy cost: for tests about everything but the cost of hashing (which has its own tests). */
export const FAST_ARGON2_PARAMS: Argon2Params = { memorySize: 1024, iterations: 1, parallelism: 1, hashLength: 32 };

/**
 * Closes every hasher a test opened after that test, so no worker thread outlives it. Call once at
 * the top of a file; wrap each hasher the file opens in the returned `track`.
 */
export function trackHashers(): <T extends PasswordHasher>(hasher: T) => T {
  const opened: PasswordHasher[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((hasher) => hasher.close()));
  });
  return (hasher) => {
    opened.push(hasher);
    return hasher;
  };
}
