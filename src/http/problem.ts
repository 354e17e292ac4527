import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every error the service answers with, in one registry: RFC 9457 problem details with a stable
 * `type` URI per code, `<issuer>/problems/<slug>`, which the service itself serves as a short page
 * (src/routes/problems/). Services throw `ProblemError`; `app.onError` renders it. `help` is that
 * page's text: what the problem means and what a client or its user can do about it.
 */
export const PROBLEMS = {
  VALIDATION_FAILED: { status: 400, title: "The request is not valid", help: "A body field, query or path parameter breaks the schema in the OpenAPI document (/doc). `errors` names each field (`pointer` for body fields, `parameter` for the others) with what is wrong; fix those and send again." },
  MALFORMED_JSON: { status: 400, title: "The request body is not valid JSON", help: "The body could not be parsed as JSON. Send a JSON object with `Content-Type: application/json`." },
  PASSWORD_TOO_SHORT: { status: 400, title: "The new password is too short", help: "A new password needs at least the minimum number of characters this deployment sets (8 unless configured higher), counted in code points. Choose a longer one; a passphrase of several words is easiest." },
  PASSWORD_TOO_LONG: { status: 400, title: "The new password is too long", help: "A new password has at most 256 characters, counted in code points. Choose a shorter one." },
  PASSWORD_MALFORMED: { status: 400, title: "The new password is not valid Unicode text", help: "The new password contains unpaired UTF-16 surrogates, which are not text and cannot be stored. This is usually a client bug: send the password as the user typed it." },
  PASSWORD_MOSTLY_INVISIBLE: { status: 400, title: "The new password is mostly invisible characters", help: "Half or more of the new password is spaces, zero-width, format or control characters. Choose one made mostly of visible characters." },
  PASSWORD_TOO_REPETITIVE: { status: 400, title: "The new password repeats too few characters", help: "The new password has fewer than 5 distinct characters, or one character makes up half of it. Choose a less repetitive one." },
  PASSWORD_TOO_COMMON: { status: 400, title: "The new password is too common", help: "The new password is on a list of common and breached passwords, which attackers try first. Choose another one." },
  INVALID_CREDENTIALS: { status: 401, title: "Invalid email or password", help: "The email is unknown or the password is wrong; the answer does not say which. Check both and try again; after several failures the account refuses further attempts from this source for a while (429)." },
  INVALID_TOKEN: { status: 401, title: "The access token is missing, invalid or expired", help: "Send `Authorization: Bearer <access_token>` with a live access token. An expired one is replaced with POST /refresh; if that fails too, log in again. The `WWW-Authenticate` header says whether a token was seen." },
  INVALID_REFRESH_TOKEN: { status: 401, title: "The refresh token is invalid, expired or revoked", help: "The refresh token is unknown, expired, already spent or its session was ended. Log in again for a new token pair. A spent token presented again ends its whole session." },
  INVALID_MFA_TOKEN: { status: 401, title: "The mfa_token is invalid, expired or used up", help: "The `mfa_token` from POST /login is unknown, older than 5 minutes, already used, or was ended by 5 wrong codes. Log in again with the password for a new one." },
  INVALID_ONE_TIME_TOKEN: { status: 400, title: "The link is invalid, expired or already used", help: "The token from the email link is unknown, expired, already used or meant for another purpose. Ask for a new message (verification, password reset or address change) and use its link." },
  INVALID_PASSKEY: { status: 401, title: "The passkey was not accepted", help: "The passkey's answer (the assertion from navigator.credentials.get) could not be verified: the passkey is unknown here, the signature or the user verification is missing or wrong, the ceremony ran on another origin or RP ID, its challenge is expired (5 minutes), already used or from another ceremony, or the authenticator's signature counter went backwards (a cloned authenticator). Ask for new options and try again; failures count toward the account's failed-login budget." },
  ACCOUNT_DISABLED: { status: 403, title: "The account is disabled", help: "An administrator disabled this account; it cannot log in until they enable it again." },
  EMAIL_NOT_VERIFIED: { status: 403, title: "The email address is not verified", help: "This deployment requires a verified address before login. Open the link in the verification message, or ask for a new one." },
  WRONG_PASSWORD: { status: 403, title: "The password given to confirm this change is wrong", help: "Changing the password, the address or deleting the account needs the account's current password; the one given is wrong. Nothing was changed." },
  INVALID_MFA_CODE: { status: 403, title: "The second-factor code is wrong or was already used", help: "The code from the authenticator app or the recovery code is wrong, outside the accepted window (one 30-second step either side), or was accepted before: each code and each recovery code works once. Wait for the next code and try again; wrong codes count toward the account's failed-login budget." },
  MFA_CODE_REQUIRED: { status: 403, title: "This change needs a current code of the second factor", help: "The account has a second factor, so this change needs a current code (or a recovery code) besides the password. Send it in `code` and try again." },
  PASSKEY_REGISTRATION_FAILED: { status: 400, title: "The new passkey could not be verified", help: "The answer of navigator.credentials.create did not verify: its challenge is expired (5 minutes), already used or not from POST /me/passkeys/options of this account, the ceremony ran on an origin or RP ID this service does not accept, or the attestation is malformed. Ask for new options and try again." },
  INSUFFICIENT_ROLE: { status: 403, title: "The token lacks a role this operation needs", help: "The caller is known but does not hold the role this operation needs (named in `WWW-Authenticate`'s `scope`), as read for this request." },
  NOT_FOUND: { status: 404, title: "Not found", help: "There is no such endpoint, or no such resource for this caller. The endpoints are listed in the OpenAPI document (/doc)." },
  CLIENT_NOT_FOUND: { status: 404, title: "No such OAuth client", help: "No OAuth client is registered with this `client_id`; it may have been deleted. GET /admin/clients lists the registered ones." },
  CLIENT_HAS_NO_SECRET: { status: 409, title: "This OAuth client has no secret", help: "Only a confidential client that authenticates with a secret (client_secret_basic or client_secret_post) has one to rotate; a public client uses PKCE and a private_key_jwt client its keys. Change the client's keys with PATCH /admin/clients/{id} instead." },
  EMAIL_TAKEN: { status: 409, title: "An account with this email already exists", help: "Another account has this address (compared case-insensitively). Log in, or reset that account's password." },
  CONFLICT: { status: 409, title: "The request conflicts with the current state", help: "The change cannot be made in the resource's current state; `detail` says why." },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large", help: "The body is over this deployment's limit (16 KiB unless configured otherwise). The server closes the connection after this answer." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The request body must be application/json", help: "Send the body as JSON with `Content-Type: application/json`." },
  RATE_LIMITED: { status: 429, title: "Too many requests", help: "A rate limit or the failed-password throttle refused the request. Wait the seconds in `Retry-After` before retrying; `RateLimit` and `RateLimit-Policy` name the policy." },
  INTERNAL_ERROR: { status: 500, title: "Internal server error", help: "An unexpected error; it is logged with the request id. Report the `request_id` to the operators of this service." },
  SERVICE_UNAVAILABLE: { status: 503, title: "A service this request needs is unavailable", help: "The database, Redis or another dependency does not answer. Retry after the seconds in `Retry-After`; the service recovers by itself." },
  SERVER_BUSY: { status: 503, title: "The server is busy", help: "Too many password operations are queued. Retry after the seconds in `Retry-After`." },
  MAIL_NOT_CONFIGURED: { status: 503, title: "Sending mail is not configured", help: "This deployment has no mail server configured, so it cannot send verification, reset or address-change messages. Tell its operators." },
  MFA_NOT_CONFIGURED: { status: 503, title: "Second factors are not configured on this server", help: "This deployment has no MFA_ENCRYPTION_KEY, so second factors cannot be enrolled or checked. Tell its operators." },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string; help: string }>;

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

/** The code in kebab-case, the last segment of its `type` URI: VALIDATION_FAILED -> validation-failed. */
export function problemSlug(code: ProblemCode): string {
  return code.toLowerCase().replaceAll("_", "-");
}

/** The code a slug names, or undefined: the inverse of problemSlug, over the registry only. */
export function problemCodeOfSlug(slug: string): ProblemCode | undefined {
  const code = slug.toUpperCase().replaceAll("-", "_");
  return Object.hasOwn(PROBLEMS, code) && problemSlug(code as ProblemCode) === slug ? (code as ProblemCode) : undefined;
}

/**
 * A problem's `type` URI: `<issuer>/problems/<slug>`, a page the service serves itself, so the URI
 * resolves wherever the service is deployed. `issuer` is the public base URL without a trailing
 * slash (config.jwt.issuer).
 */
export function problemType(code: ProblemCode, issuer: string): string {
  return `${issuer}/problems/${problemSlug(code)}`;
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

  body(options: RenderProblemOptions): ProblemBody {
    const { requestId } = options;
    const { status, title } = PROBLEMS[this.code];
    return {
      type: problemType(this.code, options.issuer),
      title,
      status,
      ...(this.detail !== undefined && { detail: this.detail }),
      code: this.code,
      ...(requestId !== undefined && { request_id: requestId }),
      ...(this.errors !== undefined && { errors: this.errors }),
    };
  }

}

export interface RenderProblemOptions {
  /** The public base URL the `type` URIs are built on (config.jwt.issuer). */
  issuer: string;
  /** The answer's X-Request-Id, repeated as `request_id`. */
  requestId?: string;
}

/**
 * Answers with a problem through the context, as Hono's own error handler does (hono-base.ts):
 * headers prepared earlier on `c` (X-Request-Id, RateLimit, CORS) stay on the answer, and the
 * problem's own headers are added to them.
 */
export function renderProblem(c: Context, problem: ProblemError, options: RenderProblemOptions): Response {
  for (const [name, value] of Object.entries(problem.headers)) c.header(name, value);
  c.header("content-type", "application/problem+json");
  return c.body(JSON.stringify(problem.body(options)), problem.status);
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
