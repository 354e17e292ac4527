/**
 * Tries `attempt` every 200 ms until `done` accepts its value or `timeoutMs` has passed, and returns
 * the last value: the caller asserts on it, so a timeout fails with what was last seen, not a hang.
 * For waiting on a dependency that comes back, never for timing assertions.
 */
export async function eventually<T>(attempt: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
