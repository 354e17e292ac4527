import type { Reporter, TestModule } from "vitest/node";

/**
 * Says at the end of a run how many tests were skipped and why (issue 18: without the TEST_*
 * variables about half of the security tests, their PostgreSQL and Redis variants, would
 * otherwise be skipped in silence). The suite has no unconditional skips: a test is skipped only
 * by a `runIf` on a real service this machine lacks, or by a `-t` filter.
 */
export default class SkippedSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let total = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        total++;
        if (test.result().state === "skipped") skipped++;
      }
    }
    if (skipped === 0) {
      console.log(`\nskipped tests: none of ${total}`);
      return;
    }
    const missing = ["TEST_DATABASE_URL", "TEST_REDIS_URL"].filter((name) => !process.env[name]);
    const reasons = [
      ...(missing.length > 0
        ? [
            `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} unset, so the PostgreSQL and Redis variants did not run ` +
              "(export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres TEST_REDIS_URL=redis://127.0.0.1:6379, README: Tests)",
          ]
        : []),
      "tests that start a private PostgreSQL or redis-server run only where their binaries are installed",
      "a -t filter skips every test it does not match",
    ];
    console.log(`\nskipped tests: ${skipped} of ${total}. Why:\n${reasons.map((reason) => `  - ${reason}`).join("\n")}`);
  }
}
