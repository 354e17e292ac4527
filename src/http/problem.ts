import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every error the service answers with, in one registry: RFC 9457 problem details with a stable
 * `type` URI per code. Services throw `ProblemError`; `app.onError` renders it.
 */
export const PROBLEM_TYPE_BASE = "https://auth-service.dev/problems/";

export const PROBLEMS = {
  VALIDATION_FAILED: { status: 400, title: "The request is not valid" },
  MALFORMED_JSON: { status: 400, title: "The request body is not valid JSON" },
  PASSWORD_TOO_SHORT: { status: 400, title: "The new password is too short" },
  PASSWORD_TOO_LONG: { status: 400, title: "The new password is too long" },
  PASSWORD_MALFORMED: { status: 400, title: "The new password is not valid Unicode text" },
  PASSWORD_MOSTLY_INVISIBLE: { status: 400, title: "The new password is mostly invisible characters" },
  PASSWORD_TOO_REPETITIVE: { status: 400, title: "The new password repeats too few characters" },
  PASSWORD_TOO_COMMON: { status: 400, title: "The new password is too common" },
  INVALID_CREDENTIALS: { status: 401, title: "Invalid email or password" },
  INVALID_TOKEN: { status: 401, title: "The access token is missing, invalid or expired" },
  INVALID_REFRESH_TOKEN: { status: 401, title: "The refresh token is invalid, expired or revoked" },
  INVALID_MFA_TOKEN: { status: 401, title: "The mfa_token is invalid, expired or used up" },
  INVALID_ONE_TIME_TOKEN: { status: 400, title: "The link is invalid, expired or already used" },
  ACCOUNT_DISABLED: { status: 403, title: "The account is disabled" },
  EMAIL_NOT_VERIFIED: { status: 403, title: "The email address is not verified" },
  WRONG_PASSWORD: { status: 403, title: "The password given to confirm this change is wrong" },
  INVALID_MFA_CODE: { status: 403, title: "The second-factor code is wrong or was already used" },
  MFA_CODE_REQUIRED: { status: 403, title: "This change needs a current code of the second factor" },
  INSUFFICIENT_ROLE: { status: 403, title: "The token lacks a role this operation needs" },
  NOT_FOUND: { status: 404, title: "Not found" },
  EMAIL_TAKEN: { status: 409, title: "An account with this email already exists" },
  CONFLICT: { status: 409, title: "The request conflicts with the current state" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The request body must be application/json" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  INTERNAL_ERROR: { status: 500, title: "Internal server error" },
  SERVICE_UNAVAILABLE: { status: 503, title: "A service this request needs is unavailable" },
  SERVER_BUSY: { status: 503, title: "The server is busy" },
  MAIL_NOT_CONFIGURED: { status: 503, title: "Sending mail is not configured" },
  MFA_NOT_CONFIGURED: { status: 503, title: "Second factors are not configured on this server" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export interface FieldError {
  /** JSON Pointer into the request body (RFC 6901, as a URI fragment), for body fields. */
  pointer?: string;
  /** Name of the query, path or header parameter, for everything else. */
  parameter?: string;
  detail: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ProblemCode;
  request_id?: string;
  errors?: FieldError[];
}

export interface ProblemOptions {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  cause?: unknown;
}

export function problemType(code: ProblemCode): string {
  return `${PROBLEM_TYPE_BASE}${code.toLowerCase().replaceAll("_", "-")}`;
}

export class ProblemError extends HTTPException {
  readonly code: ProblemCode;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    const { status, title } = PROBLEMS[code];
    super(status, { message: options.detail ?? title, cause: options.cause });
    this.name = "ProblemError";
    this.code = code;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  body(requestId?: string): ProblemBody {
    const { status, title } = PROBLEMS[this.code];
    return {
      type: problemType(this.code),
      title,
      status,
      ...(this.detail !== undefined && { detail: this.detail }),
      code: this.code,
      ...(requestId !== undefined && { request_id: requestId }),
      ...(this.errors !== undefined && { errors: this.errors }),
    };
  }

}

/**
 * Answers with a problem through the context, as Hono's own error handler does (hono-base.ts):
 * headers prepared earlier on `c` (X-Request-Id, RateLimit, CORS) stay on the answer, and the
 * problem's own headers are added to them.
 */
export function renderProblem(c: Context, problem: ProblemError, requestId?: string): Response {
  for (const [name, value] of Object.entries(problem.headers)) c.header(name, value);
  c.header("content-type", "application/problem+json");
  return c.body(JSON.stringify(problem.body(requestId)), problem.status);
}

/** Seconds a client should wait before retrying after a 503 caused by a dependency that is away. */
export const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

/** The 503 for a dependency (database, Redis, the throttle's or the limiter's store) that does not answer. */
export function serviceUnavailable(detail = "A storage service is not answering; retry shortly."): ProblemError {
  return new ProblemError("SERVICE_UNAVAILABLE", { detail, headers: { "retry-after": String(RETRY_AFTER_UNAVAILABLE_SECONDS) } });
}

/**
 * The `WWW-Authenticate` challenge of a Bearer-protected answer (RFC 6750 §3): no `error` when no
 * token was sent, `invalid_token` for a bad one, `insufficient_scope` (with the scope needed) for a
 * valid token that lacks a role.
 */
export function bearerChallenge(
  error?: "invalid_token" | "insufficient_scope",
  options: { realm?: string; scope?: string } = {},
): string {
  const params = [`realm="${options.realm ?? "auth-service"}"`];
  if (error) params.push(`error="${error}"`);
  if (options.scope !== undefined) params.push(`scope="${options.scope}"`);
  return `Bearer ${params.join(", ")}`;
}
