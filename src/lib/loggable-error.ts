import type { Logger } from "pino";
import { isDependencyOutage } from "./dependency-errors.js";

/**
 * An unexpected error as it may be logged: its name, code, message and stack, and those of its
 * causes, without the values a database driver attaches to it. drizzle's DrizzleQueryError keeps
 * the query's parameters in `params` and repeats them in its message ("Failed query: … params: …"):
 * logged whole, a failed INSERT into users would write the password hash into the logs, and a
 * failed session query a token hash. The query text itself is kept (its values are placeholders).
 */
const MAX_CAUSES = 4;

/** Driver fields that carry row values: `params` (drizzle), `parameters`/`detail`/`where` (postgres.js), `args` (ioredis). */
const VALUE_FIELDS = new Set(["params", "parameters", "detail", "where", "args", "command", "previousErrors"]);

function withoutParams(text: string): string {
  return text.replace(/\nparams: [\s\S]*?(?=\n\s+at |\ncaused by|$)/g, "\nparams: [omitted]");
}

export function loggableError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: typeof error };
  const logged: Record<string, unknown> = {
    type: error.name,
    message: withoutParams(error.message),
    ...(error.stack !== undefined && { stack: withoutParams(error.stack) }),
  };
  for (const [key, value] of Object.entries(error)) {
    if (VALUE_FIELDS.has(key) || key === "cause") continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") logged[key] = value;
  }
  if (error.cause !== undefined && depth < MAX_CAUSES) logged.cause = loggableError(error.cause, depth + 1);
  return logged;
}

/**
 * The one shape of an error log line: `err` as `loggableError` makes it (no driver values), at
 * `warn` for a dependency outage (expected to pass) and at `error` for anything else (a bug).
 */
export function logError(logger: Pick<Logger, "warn" | "error">, message: string, error: unknown, fields: Record<string, unknown> = {}): void {
  logger[isDependencyOutage(error) ? "warn" : "error"]({ ...fields, err: loggableError(error) }, message);
}
