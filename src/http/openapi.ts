import { z } from "@hono/zod-openapi";
import { PROBLEMS, type ProblemCode } from "./problem.js";

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://auth-service.dev/problems/validation-failed" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string().openapi({ description: "Stable machine-readable code (UPPER_SNAKE)." }),
    request_id: z.string().optional(),
    errors: z
      .array(
        z.object({
          pointer: z.string().optional().openapi({ description: "JSON Pointer into the request body" }),
          parameter: z.string().optional().openapi({ description: "Query, path or header parameter" }),
          detail: z.string(),
        }),
      )
      .optional(),
  })
  .openapi("Problem", { description: "RFC 9457 problem details (application/problem+json)." });

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input: malformed JSON or a schema violation",
  401: "Bad credentials, or a missing, invalid or expired token",
  403: "Authenticated but not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Request body too large",
  415: "Request body is not application/json",
  429: "Rate limited (see Retry-After)",
  503: "A dependency (database, Redis, password hasher) is unavailable; retry later",
};

/** The problem responses a route can return, by code, grouped under their status. */
export function problemResponses(...codes: ProblemCode[]) {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const status = PROBLEMS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, statusCodes]) => [
      status,
      {
        description: `${STATUS_DESCRIPTIONS[status] ?? "Error"} (${statusCodes.join(", ")})`,
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
    ]),
  );
}

/** Problems every JSON-body route can answer with before the handler runs. */
export const BODY_PROBLEMS: ProblemCode[] = ["VALIDATION_FAILED", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];
/** Problems any route touching storage can answer with. */
export const DEPENDENCY_PROBLEMS: ProblemCode[] = ["SERVICE_UNAVAILABLE"];

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    ...(description !== undefined && { description }),
    content: { "application/json": { schema } },
  } as const;
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

export const BEARER_SECURITY = [{ bearerAuth: [] }];

/** A `?limit=` query parameter: a whole number from 1 to `max`, `fallback` when absent. */
/**
 * No control characters (NUL among them: PostgreSQL refuses it in text, a 500 before this check) and
 * no unpaired UTF-16 surrogates (\p{Cs}): those are not Unicode text, cannot be stored as UTF-8 as
 * sent, and PGlite even fails on some of them (found by test/security/hostile-input.security.test.ts).
 * For every free-text input, body or query.
 */
export const NO_CONTROL_CHARACTERS = /^[^\p{Cc}\p{Cs}]*$/u;

export function limitQueryParam(max: number, fallback: number) {
  return z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(max, `must be at most ${max}`)
    .default(fallback)
    .openapi({ param: { name: "limit", in: "query" }, example: fallback });
}
