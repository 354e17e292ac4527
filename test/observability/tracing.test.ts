import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createArgon2idHasher } from "../../src/password/hasher.js";
import { createObservability } from "../../src/observability/instrument.js";
import { createTracing, traceMethods } from "../../src/observability/tracing.js";
import { flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, FAST_ARGON2_PARAMS, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";

function inMemoryTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, provider, deps: { tracer: provider.getTracer("test"), propagator: new W3CTraceContextPropagator() } };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("tracing with an in-memory exporter", () => {
  const { exporter, provider, deps } = inMemoryTracing();
  let testApp: TestApp;
  let client: TestClient;
  const email = uniqueEmail("traced");
  const logLines: string[] = [];

  beforeAll(async () => {
    testApp = await createTestApp({ tracing: deps, logger: pino({ level: "info" }, { write: (line: string) => void logLines.push(line) }) });
    client = inProcessClient(testApp.app);
    await flows(() => client).register(email);
    exporter.reset();
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await testApp?.cleanup();
    await provider.shutdown();
  });

  it("a login is a server span with its route and status, over child spans for the user store, the session store and hashing", async () => {
    const login = await client.request("POST", "/login", { json: { email, password: PASSWORD }, headers: { "x-request-id": "trace-test-1" } });
    expect(login.status).toBe(200);

    const spans = exporter.getFinishedSpans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER);
    expect(server).toBeDefined();
    expect(server!.name).toBe("POST /login");
    expect(server!.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.route": "/login",
      "http.response.status_code": 200,
      "app.request_id": "trace-test-1",
    });
    expect(parentOf(server!)).toBeUndefined();
    // The request's log line names its trace.
    const requestLine = logLines.map((line) => JSON.parse(line)).find((line) => line.msg === "request" && line.requestId === "trace-test-1");
    expect(requestLine).toMatchObject({ route: "/login", status: 200, traceId: server!.spanContext().traceId });

    const children = spans.filter((span) => parentOf(span) === server!.spanContext().spanId);
    const names = children.map((span) => span.name);
    expect(names).toEqual(expect.arrayContaining(["UserStore.findByEmail", "PasswordHasher.verify", "SessionStore.create", "SecurityEventStore.record"]));
    for (const child of children) {
      expect(child.kind).toBe(SpanKind.CLIENT);
      expect(child.spanContext().traceId).toBe(server!.spanContext().traceId);
      expect(child.endTime[0] + child.endTime[1] / 1e9).toBeLessThanOrEqual(server!.endTime[0] + server!.endTime[1] / 1e9);
    }
  });

  it("puts no secret, token or email in any span", async () => {
    const login = await client.request("POST", "/login", { json: { email, password: PASSWORD } });
    const refreshed = await client.request("POST", "/refresh", { json: { refresh_token: login.body.refresh_token } });
    expect(refreshed.status).toBe(200);
    await client.request("GET", "/me", { token: refreshed.body.access_token });
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(8);
    const everything = JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, resource: span.resource.attributes })));
    for (const secret of [PASSWORD, email, login.body.refresh_token, login.body.access_token, refreshed.body.refresh_token, refreshed.body.access_token]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("continues the caller's trace from traceparent", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentSpanId = "00f067aa0ba902b7";
    await client.request("GET", "/healthz", { headers: { traceparent: `00-${traceId}-${parentSpanId}-01` } });
    const server = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER)!;
    expect(server.spanContext().traceId).toBe(traceId);
    expect(parentOf(server)).toBe(parentSpanId);
    expect(server.name).toBe("GET /healthz");
  });

  it("names a parameterised route by its pattern and leaves 4xx unmarked", async () => {
    const login = await client.request("POST", "/login", { json: { email, password: PASSWORD } });
    exporter.reset();
    const unknown = "0190a5c4-0000-7000-8000-000000000000";
    expect((await client.request("DELETE", `/sessions/${unknown}`, { token: login.body.access_token })).status).toBe(404);
    const server = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER)!;
    expect(server.name).toBe("DELETE /sessions/:id");
    expect(server.attributes["http.response.status_code"]).toBe(404);
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(JSON.stringify(server.attributes)).not.toContain(unknown);
  });

  it("marks a 5xx server span and the failing call as errors, by error class only", async () => {
    const original = testApp.deps.users.findByEmail;
    // The wrapped store reads the method from the original object at call time.
    testApp.deps.users.findByEmail = async () => {
      throw new TypeError("boom: select * from users where email = 'x@example.com'");
    };
    try {
      expect((await client.request("POST", "/login", { json: { email, password: PASSWORD } })).status).toBe(500);
    } finally {
      testApp.deps.users.findByEmail = original;
    }
    const spans = exporter.getFinishedSpans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
    const failed = spans.find((span) => span.name === "UserStore.findByEmail")!;
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes["error.type"]).toBe("TypeError");
    expect(JSON.stringify([server, failed].map((span) => [span.attributes, span.events, span.status]))).not.toContain("boom");
  });

  it("without a tracer, wraps nothing: the very same store objects, no span middleware", () => {
    const untraced = { ...testApp.deps, tracing: undefined };
    const observability = createObservability(untraced);
    expect(observability.deps.users).toBe(untraced.users);
    expect(observability.deps.sessions).toBe(untraced.sessions);
    expect(observability.deps.events).toBe(untraced.events);
    expect(observability.middleware.map((middleware) => middleware.name)).toEqual(["countRequests"]);
    const traced = createObservability(testApp.deps);
    expect(traced.deps.users).not.toBe(testApp.deps.users);
    expect(traced.middleware.map((middleware) => middleware.name)).toEqual(["traceRequest", "countRequests"]);
  });
});

describe("traceMethods", () => {
  const { exporter, provider, deps } = inMemoryTracing();
  const tracing = createTracing(deps);
  afterEach(() => exporter.reset());
  afterAll(() => provider.shutdown());

  class Counter {
    count = 0;
    increment(): number {
      return ++this.count;
    }
    async twice(): Promise<number> {
      this.increment();
      return this.increment();
    }
    async fail(): Promise<void> {
      throw new RangeError("no");
    }
    ping(): string {
      return "pong";
    }
  }

  it("keeps `this`, fields and synchronous results, and traces calls from outside only", async () => {
    const counter = traceMethods(new Counter(), "Counter", tracing, { skip: ["ping"], attributes: { "db.system.name": "test" } });
    expect(counter.increment()).toBe(1);
    expect(await counter.twice()).toBe(3);
    expect(counter.count).toBe(3);
    expect(counter).toBeInstanceOf(Counter);
    expect(counter.ping()).toBe("pong");
    const names = exporter.getFinishedSpans().map((span) => span.name);
    expect(names).toEqual(["Counter.increment", "Counter.twice"]);
    expect(exporter.getFinishedSpans()[0]!.attributes["db.system.name"]).toBe("test");
  });

  it("nests calls made inside a span and records a rejection", async () => {
    const hasher = traceMethods(createArgon2idHasher(FAST_ARGON2_PARAMS), "PasswordHasher", tracing);
    const counter = traceMethods(new Counter(), "Counter", tracing);
    await tracing.inSpan("outer", {}, async () => {
      await hasher.hash("a password of some length");
      await expect(counter.fail()).rejects.toThrow(RangeError);
    });
    const spans = exporter.getFinishedSpans();
    const outer = spans.find((span) => span.name === "outer")!;
    const hash = spans.find((span) => span.name === "PasswordHasher.hash")!;
    const failed = spans.find((span) => span.name === "Counter.fail")!;
    expect(parentOf(hash)).toBe(outer.spanContext().spanId);
    expect(parentOf(failed)).toBe(outer.spanContext().spanId);
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes["error.type"]).toBe("RangeError");
  });
});
