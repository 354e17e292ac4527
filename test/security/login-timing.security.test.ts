import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import type { SecurityEvent, SecurityEventStore } from "../../src/events/store.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";
import { createCapturingLogger, expectProblem, PASSWORD, uniqueEmail } from "./support.js";

/**
 * Issue 11, item 7: a wrong password for a known address must not do more work before its 401 than
 * an unknown address does. The `login_failed` insert used to be awaited first. Shown without any
 * timing: the event store's `record` blocks on a promise the test holds, and the 401 still arrives.
 */
function gatedEventStore(inner: SecurityEventStore) {
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let fail: Error | undefined;
  const started: SecurityEvent[] = [];
  const store: SecurityEventStore = {
    ...inner,
    async record(event) {
      if (event.type === "login_failed") {
        started.push(event);
        if (fail) throw fail;
        await gate;
      }
      await inner.record(event);
    },
  };
  return {
    store,
    started,
    block() {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    release() {
      open?.();
      gate = undefined;
    },
    failWith(error: Error | undefined) {
      fail = error;
    },
  };
}

const HUNG = Symbol("hung");

describe("login failures answer before their event is written (embedded PGlite)", () => {
  let testApp: TestApp;
  let client: TestClient;
  let gated: ReturnType<typeof gatedEventStore>;
  const captured = createCapturingLogger("warn");
  beforeAll(async () => {
    testApp = await createTestApp();
    gated = gatedEventStore(testApp.deps.events);
    // The same wiring with one store wrapped: the app under test is built by the production factory.
    client = inProcessClient(createApp({ ...testApp.deps, events: gated.store, logger: captured.logger }));
  });
  afterAll(async () => {
    gated?.release();
    await testApp?.cleanup();
  });

  it("answers 401 for a wrong password while the event store is still blocked, then records the event", async () => {
    const email = uniqueEmail("timing");
    expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
    gated.block();
    const response = client.request("POST", "/login", { json: { email, password: "wrong password" } });
    // Generous: the login itself takes milliseconds; an awaited insert would never finish while blocked.
    const hung = new Promise<typeof HUNG>((resolve) => setTimeout(() => resolve(HUNG), 10_000).unref());
    const outcome = await Promise.race([response, hung]);
    expect(outcome, "the 401 waited for the blocked event store").not.toBe(HUNG);
    expectProblem(outcome as Awaited<typeof response>, 401, "INVALID_CREDENTIALS");
    expect(gated.started.map((event) => event.type)).toEqual(["login_failed"]);

    gated.release();
    const { access_token } = (await client.request("POST", "/login", { json: { email, password: PASSWORD } })).body;
    await expect
      .poll(async () => (await client.request("GET", "/me/events", { token: access_token })).body.items.map((event: { type: string }) => event.type))
      .toContain("login_failed");
  });

  it("still answers 401 when the event cannot be written, and logs the failure", async () => {
    const email = uniqueEmail("timing");
    expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
    gated.failWith(new Error("event store down"));
    try {
      expectProblem(await client.request("POST", "/login", { json: { email, password: "wrong password" } }), 401, "INVALID_CREDENTIALS");
      await expect.poll(() => captured.output()).toContain("could not record a failed login");
    } finally {
      gated.failWith(undefined);
    }
  });
});
