import { AsyncLocalStorage } from "node:async_hooks";
import {
  context as otelContext,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context as TraceContext,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TextMapPropagator,
  type Tracer,
} from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";

/**
 * OpenTelemetry spans around requests, store calls and hashing, written against
 * @opentelemetry/api only: the SDK and the OTLP exporter are loaded by `startTracing`
 * (tracing-sdk.ts) when OTEL_EXPORTER_OTLP_ENDPOINT is set, and not at all otherwise. Without a
 * tracer the app installs neither the middleware nor the wrappers, so tracing costs nothing.
 *
 * Span attributes carry route patterns, methods, statuses, error class names and store/method
 * names: never an argument of a store or hasher call (emails, passwords, token hashes), never an
 * error message (a driver's message can quote a value), never a header.
 */
export interface TracingDeps {
  tracer: Tracer;
  /** Reads an incoming `traceparent`, so that a caller's trace continues here; absent: every request starts a trace. */
  propagator?: TextMapPropagator;
}

export interface Tracing {
  /** Runs `fn` in a new span, a child of the current one, ended when `fn` (or its promise) settles. */
  inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => T, parent?: TraceContext): T;
  /** The server span of each request: `GET /sessions/:id`, with its route and status. */
  middleware: MiddlewareHandler;
}

const headersGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function recordFailure(span: Span, error: unknown): void {
  span.setAttribute("error.type", error instanceof Error ? error.name : typeof error);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * The current span is kept in an AsyncLocalStorage of this app's own rather than in a context
 * manager registered globally with @opentelemetry/api: two apps in one process (tests) stay apart,
 * and nothing global changes. Node and Bun both implement node:async_hooks' AsyncLocalStorage (as
 * Hono's own context-storage middleware relies on). Work started inside also runs under
 * `context.with`, so that OpenTelemetry-aware code sees the span too where a global context
 * manager has been registered.
 */
export function createTracing({ tracer, propagator }: TracingDeps): Tracing {
  const current = new AsyncLocalStorage<TraceContext>();

  function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => T, parent?: TraceContext): T {
    const parentContext = parent ?? current.getStore() ?? otelContext.active();
    const span = tracer.startSpan(name, options, parentContext);
    const spanContext = trace.setSpan(parentContext, span);
    let result: T;
    try {
      result = current.run(spanContext, () => otelContext.with(spanContext, fn, undefined, span));
    } catch (error) {
      recordFailure(span, error);
      span.end();
      throw error;
    }
    if (!isThenable(result)) {
      span.end();
      return result;
    }
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        recordFailure(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }

  return {
    inSpan,
    middleware: async function traceRequest(c, next) {
      const method = c.req.method;
      const parent = propagator ? propagator.extract(ROOT_CONTEXT, c.req.raw.headers, headersGetter) : ROOT_CONTEXT;
      await inSpan(
        method,
        { kind: SpanKind.SERVER, attributes: { "http.request.method": method } },
        async (span) => {
          // Lets the request's log line name its trace (logRequest in src/app.ts).
          c.set("traceId", span.spanContext().traceId);
          await next();
          const route = routePath(c);
          const status = c.res.status;
          span.updateName(`${method} ${route}`);
          span.setAttributes({ "http.route": route, "http.response.status_code": status });
          const requestId = c.get("requestId") as unknown;
          if (typeof requestId === "string") span.setAttribute("app.request_id", requestId);
          // Server spans: a 5xx is the service's failure, a 4xx the client's (OpenTelemetry semconv).
          if (status >= 500) {
            span.setStatus({ code: SpanStatusCode.ERROR });
            if (c.error) span.setAttribute("error.type", c.error.name);
          }
        },
        parent,
      );
    },
  };
}

export interface TraceMethodsOptions {
  /** Added to every span (e.g. `{ "db.system.name": "redis" }`). */
  attributes?: Attributes;
  /** Methods left untraced (`close`, `ping`). */
  skip?: readonly string[];
}

/**
 * The same object, each of its methods run in a client span named `${name}.${method}`
 * (`SessionStore.rotate`). A Proxy, so that it keeps the object's prototype, fields and `this`:
 * the method runs on the original object, and its calls to its own methods are not traced twice.
 * Synchronous methods stay synchronous.
 */
export function traceMethods<T extends object>(target: T, name: string, tracing: Tracing, options: TraceMethodsOptions = {}): T {
  const wrappers = new WeakMap<(...args: never[]) => unknown, (...args: unknown[]) => unknown>();
  const skip = new Set(options.skip ?? []);
  const spanOptions: SpanOptions = { kind: SpanKind.CLIENT, attributes: options.attributes ?? {} };
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== "function" || typeof key !== "string" || key === "constructor" || skip.has(key)) return value;
      const method = value as (...args: unknown[]) => unknown;
      let wrapper = wrappers.get(method);
      if (!wrapper) {
        const spanName = `${name}.${key}`;
        wrapper = (...args: unknown[]) => tracing.inSpan(spanName, spanOptions, () => Reflect.apply(method, object, args));
        wrappers.set(method, wrapper);
      }
      return wrapper;
    },
  });
}
