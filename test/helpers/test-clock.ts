/*
 * The movable clocks of the test apps, in a module that imports nothing, so that the setup file
 * that resets them (test/setup/fresh-clocks.ts) loads no application module before a test file's
 * own vi.mock() calls apply.
 */

export interface TestClock {
  (): Date;
  advance(seconds: number): void;
  /** Back to the wall clock's now: done before every test (test/setup/fresh-clocks.ts). */
  reset(): void;
}

/** Every clock of this test file, so each test starts with all of them at the wall clock's now. */
const clocks = new Set<TestClock>();

/**
 * A movable clock for an app. Before each test (test/setup/fresh-clocks.ts) every clock is put back
 * to the wall clock, so no test depends on how far an earlier one moved it (issue 18: suites moved
 * a shared clock up to 14 days ahead and "healthy afterwards" tests relied on it).
 */
export function createTestClock(start = Date.now()): TestClock {
  let now = start;
  const clock = (() => new Date(now)) as TestClock;
  clock.advance = (seconds) => {
    now += seconds * 1000;
  };
  clock.reset = () => {
    now = Date.now();
  };
  clocks.add(clock);
  return clock;
}

export function resetTestClocks(): void {
  for (const clock of clocks) clock.reset();
}
