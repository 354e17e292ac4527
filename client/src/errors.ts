import type { components } from "./schema.js";

/** An RFC 9457 problem as auth-service sends it (application/problem+json). */
export type Problem = components["schemas"]["Problem"];
/** The stable machine-readable codes of the problems (docs/API.md, "Problems"). */
export type ProblemCode = Problem["code"];

/** A non-2xx answer. Every answer of auth-service is a {@link ProblemError}; this is what anything else in between (a proxy's 502 page) becomes. */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  /** The answer's headers: `Retry-After` on 429 and 503, `WWW-Authenticate` on 401, `X-Request-Id`. */
  readonly headers: Headers;

  constructor(message: string, response: Response) {
    super(message);
    this.status = response.status;
    this.headers = response.headers;
  }
}

/** A problem answer of auth-service: branch on `code`, never on `title` or `detail`. */
export class ProblemError extends HttpError {
  override name = "ProblemError";
  readonly code: ProblemCode;
  readonly problem: Problem;

  constructor(problem: Problem, response: Response) {
    super(`${response.status} ${problem.code}: ${problem.title}`, response);
    this.code = problem.code;
    this.problem = problem;
  }
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== "object" || body === null) return false;
  const { code, status, title } = body as Record<string, unknown>;
  return typeof code === "string" && typeof status === "number" && typeof title === "string";
}

/** The error a non-2xx answer stands for, from its parsed body (openapi-fetch's `error`). */
export function errorOf(response: Response, body: unknown): HttpError {
  return isProblem(body) ? new ProblemError(body, response) : new HttpError(`${response.status} ${response.statusText}`.trim(), response);
}
