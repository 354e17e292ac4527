import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import { expect } from "vitest";
import type { TestResponse } from "../helpers/test-app.js";

/** Shared pieces of the security tests. */

/** The one test password and unique-address helper live in test/helpers/flows.ts. */
export { PASSWORD, uniqueEmail } from "../helpers/flows.js";

/** An RFC 9457 problem with this status: the media type, the members, never a stack trace. */
export function expectProblem(response: TestResponse, status: number, code?: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, type: expect.stringMatching(/^https?:\/\/.+\/problems\/[a-z-]+$/), title: expect.any(String) });
  if (code) expect(response.body.code).toBe(code);
  expect(response.text).not.toMatch(/at .+\.(ts|js):\d+/);
}

/** Every key under `pattern`, with SCAN (never KEYS). */
export async function scanAll(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found;
}

/** A pino logger at `level` writing its JSON lines into memory, and what it wrote so far. */
export function createCapturingLogger(level = "trace"): { logger: Logger; output(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  return { logger: pino({ level }, stream), output: () => chunks.join("") };
}
