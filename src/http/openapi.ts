import { z } from "@hono/zod-openapi";
import { PROBLEMS, problemSlug, type ProblemCode } from "./problem.js";

/**
 * What the OpenAPI document (GET /doc) promises beyond the routes' own schemas: the problem shape,
 * the headers the service sends, and the finishing touches (servers, tags, the headers every answer
 * carries). Checked by two linters (`npm run lint:openapi`) and against real answers
 * (test/http/openapi-responses.test.ts), so that a client generated from it, or a validating proxy
 * in front of the service, sees what the service does.
 */

const PROBLEM_CODES = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];

/** The host of the documentation's examples (RFC 2606); the real `type` URIs start with JWT_ISSUER. */
const EXAMPLE_ISSUER = "https://auth.example.com";

export const ProblemSchema = z
  .object({
    type: z.url().openapi({
      description: "`<issuer>/problems/<code in kebab-case>`: a page about this problem, served by this service",
      example: `${EXAMPLE_ISSUER}/problems/validation-failed`,
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.enum(PROBLEM_CODES).openapi({ description: "Stable machine-readable code; the table of codes is in the service's API.md and at /problems/{slug}" }),
    request_id: z.string().optional().openapi({ description: "The answer's X-Request-Id" }),
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

interface HeaderObject {
  description: string;
  required?: boolean;
  schema: Record<string, unknown>;
  example?: string;
}

/** A header sent on every answer it documents, whose values match `pattern`. */
function headerMatching(description: string, pattern: string, example: string): HeaderObject {
  return { description, required: true, schema: { type: "string", pattern }, example };
}

/** A header that has one value only: the schema's `const` and the example are that value. */
function fixedHeader(description: string, value: string, { required = true } = {}): HeaderObject {
  return { description, required, schema: { type: "string", const: value }, example: value };
}

/**
 * Every header the service sends that a client may read, once each, as `components.headers`; the
 * responses refer to them. (The secure headers, X-Content-Type-Options and the like, are for
 * browsers and are left out.)
 */
export const HEADER_COMPONENTS = {
  RequestId: headerMatching(
    "The request's own X-Request-Id when it is 1 to 128 characters of A-Z a-z 0-9 _ - =, otherwise a fresh UUID; also the problem's `request_id`",
    "^[A-Za-z0-9_=-]{1,128}$",
    "0193b7e4-5f1c-7a2b-9c3d-4e5f6a7b8c9d",
  ),
  CacheControlNoStore: fixedHeader("Tokens, users, sessions, events and problems are never cached (RFC 9111 §5.2.2.5; RFC 6749 §5.1)", "no-store"),
  PragmaNoCache: fixedHeader("The same for HTTP/1.0 caches", "no-cache"),
  CacheControlPublic: headerMatching("A public document: any cache may keep it this many seconds", "^public, max-age=[0-9]+$", "public, max-age=300"),
  WwwAuthenticate: headerMatching(
    'The Bearer challenge (RFC 6750 §3): `error="invalid_token"` when a token was sent and refused, `error="insufficient_scope"` with the `scope` needed for a valid token that lacks a role, no `error` when no token was sent',
    "^Bearer ",
    'Bearer realm="auth-service", error="invalid_token"',
  ),
  RetryAfter: headerMatching("Seconds to wait before retrying, at least 1", "^[1-9][0-9]*$", "30"),
  RateLimitPolicy: {
    description:
      'The rate-limit policies of this route (draft-ietf-httpapi-ratelimit-headers, Structured Fields form): `"<name>";q=<quota>;w=<window seconds>`, one list member per policy; on every answer of a rate-limited route while its limit is on, always on its 429',
    required: false,
    schema: { type: "string" },
    example: '"login";q=20;w=600',
  },
  RateLimit: {
    description: 'What is left of each policy: `"<name>";r=<remaining>;t=<seconds until reset>`; a 429 carries `r=0` and `t` equal to Retry-After',
    required: false,
    schema: { type: "string" },
    example: '"login";r=17;t=412',
  },
  ConnectionClose: fixedHeader("The server closes the connection after this answer, whose request body it did not read", "close", { required: false }),
} as const satisfies Record<string, HeaderObject>;

type HeaderComponent = keyof typeof HEADER_COMPONENTS;

export function headerRef(name: HeaderComponent) {
  return { $ref: `#/components/headers/${name}` };
}

/** Headers a problem of this code carries besides those of every answer. */
const PROBLEM_HEADERS: Partial<Record<ProblemCode, Record<string, HeaderComponent>>> = {
  INVALID_CREDENTIALS: { "WWW-Authenticate": "WwwAuthenticate" },
  INVALID_TOKEN: { "WWW-Authenticate": "WwwAuthenticate" },
  INVALID_REFRESH_TOKEN: { "WWW-Authenticate": "WwwAuthenticate" },
  INSUFFICIENT_ROLE: { "WWW-Authenticate": "WwwAuthenticate" },
  RATE_LIMITED: { "Retry-After": "RetryAfter", "RateLimit-Policy": "RateLimitPolicy", RateLimit: "RateLimit" },
  SERVICE_UNAVAILABLE: { "Retry-After": "RetryAfter" },
  SERVER_BUSY: { "Retry-After": "RetryAfter" },
  MAIL_NOT_CONFIGURED: { "Retry-After": "RetryAfter" },
  PAYLOAD_TOO_LARGE: { Connection: "ConnectionClose" },
};

/**
 * The headers of a response grouping `codes`: a header every code sends keeps its component's
 * `required`; one that only some send is referenced as well (OpenAPI cannot lower `required`
 * through a reference), and the description of the response names the codes.
 */
function problemHeaders(codes: ProblemCode[]) {
  const headers: Record<string, { $ref: string }> = {};
  for (const code of codes) {
    for (const [name, component] of Object.entries(PROBLEM_HEADERS[code] ?? {})) headers[name] = headerRef(component);
  }
  return headers;
}

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input: malformed JSON or a schema violation",
  401: "Bad credentials, or a missing, invalid or expired token",
  403: "Authenticated but not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Request body too large",
  415: "Request body is not application/json",
  429: "Rate limited (see Retry-After)",
  503: "A dependency (database, Redis, the password hasher, mail) is unavailable; retry after Retry-After",
};

/** An example body of `code`, as the service renders it (src/http/problem.ts). */
function problemExample(code: ProblemCode) {
  const { status, title } = PROBLEMS[code];
  return {
    type: `${EXAMPLE_ISSUER}/problems/${problemSlug(code)}`,
    title,
    status,
    ...(code === "VALIDATION_FAILED" && { detail: "One or more fields are invalid; see errors." }),
    code,
    request_id: HEADER_COMPONENTS.RequestId.example,
    ...(code === "VALIDATION_FAILED" && { errors: [{ pointer: "#/email", detail: "must be a valid email address" }] }),
  };
}

/** The problem responses a route can return, by code, grouped under their status, each code with its example. */
export function problemResponses(...codes: ProblemCode[]) {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) {
    const status = PROBLEMS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, statusCodes]) => [
      status,
      {
        description: `${STATUS_DESCRIPTIONS[status] ?? "Error"} (${statusCodes.join(", ")})`,
        headers: problemHeaders(statusCodes),
        content: {
          "application/problem+json": {
            schema: ProblemSchema,
            examples: Object.fromEntries(statusCodes.map((code) => [code, { summary: PROBLEMS[code].title, value: problemExample(code) }])),
          },
        },
      },
    ]),
  );
}

/**
 * For the operations that read no input (no body, parameters or token): no 4xx is expected from
 * them, but the linters rightly ask every operation to say what a client error would look like.
 */
export const NO_CLIENT_ERROR_EXPECTED = {
  "4XX": {
    description: "Not expected: this operation reads no input. Like every 4xx of this service, it would be an RFC 9457 problem.",
    content: { "application/problem+json": { schema: ProblemSchema, examples: { NOT_FOUND: { summary: PROBLEMS.NOT_FOUND.title, value: problemExample("NOT_FOUND") } } } },
  },
} as const;

/** Problems every JSON-body route can answer with before the handler runs. */
export const BODY_PROBLEMS: ProblemCode[] = ["VALIDATION_FAILED", "MALFORMED_JSON", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];
/** Problems any route touching storage can answer with. */
export const DEPENDENCY_PROBLEMS: ProblemCode[] = ["SERVICE_UNAVAILABLE"];

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    ...(description !== undefined && { description }),
    content: { "application/json": { schema } },
  } as const;
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string, examples?: Record<string, { summary: string; value: unknown }>) {
  return { description, content: { "application/json": { schema, ...(examples && { examples }) } } } as const;
}

/**
 * The components that `finishDocument` publishes as `oneOf`. zod-to-openapi renders every
 * `z.union` as `anyOf`, which lets a generated client (and a validator) accept a value matching
 * several members; for a union whose members exclude each other, `oneOf` says so.
 */
const EXCLUSIVE_UNIONS = new Set<string>();

/** A union of named object schemas of which a value matches exactly one, published as `oneOf`. */
export function exclusiveUnion<const T extends readonly [z.ZodType, z.ZodType, ...z.ZodType[]]>(
  name: string,
  members: T,
  metadata: { description: string },
) {
  EXCLUSIVE_UNIONS.add(name);
  return z.union(members).openapi(name, metadata);
}

export const BEARER_SECURITY = [{ bearerAuth: [] }];
/** Operations anyone may call; said outright, so that a reader (and a linter) knows it is meant. */
export const NO_SECURITY = [];

/**
 * No control characters (C0, DEL and C1: NUL among them, which PostgreSQL refuses in text, a 500
 * before this check). For every free-text input, body or query. No flag, so that the pattern the
 * document publishes is this source as it is: a plain ECMA-262 pattern that any JSON Schema
 * validator reads the same way (a `u` flag would leak into it as "/u", and `\p{…}` classes are not
 * understood everywhere). Unpaired surrogates are refused by `isWellFormedText` beside it.
 */
export const NO_CONTROL_CHARACTERS = /^[^\x00-\x1F\x7F-\x9F]*$/;

/**
 * No unpaired UTF-16 surrogates (\p{Cs}): those are not Unicode text, cannot be stored as UTF-8 as
 * sent, and PGlite even fails on some of them (found by test/security/hostile-input.security.test.ts).
 * A refinement beside NO_CONTROL_CHARACTERS rather than part of its pattern: without the `u` flag
 * a surrogate range would refuse every emoji too.
 */
export function isWellFormedText(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}

/** A `?limit=` query parameter: a whole number from 1 to `max`, `fallback` when absent. */
export function limitQueryParam(max: number, fallback: number) {
  return z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(max, `must be at most ${max}`)
    .default(fallback)
    .openapi({ param: { name: "limit", in: "query" }, example: fallback });
}

/** The tags of the document, in the order a reader meets them. */
export const TAGS = [
  { name: "Auth", description: "Register, log in, rotate and revoke tokens; the caller's user" },
  { name: "Account", description: "The caller's profile, password, address, account and security events" },
  { name: "Sessions", description: "The caller's live sessions (one per login)" },
  { name: "Second factor", description: "TOTP with recovery codes: enrolment, removal, new recovery codes" },
  { name: "Passkeys", description: "WebAuthn passkeys: registration, removal, passwordless login, and the passkey as the second step of a password login" },
  { name: "Email", description: "Address verification, password reset and address change by link" },
  { name: "Admin", description: "User administration; needs the `admin` role" },
  { name: "OAuth", description: "The OAuth 2.1 / OpenID Connect provider's endpoints for relying parties: token, revocation, introspection, userinfo and discovery (the browser's authorization, sign-in, consent and logout pages are not API operations)" },
  { name: "Discovery", description: "What a verifier or a client finds without a token: keys, metadata and the problem types" },
  { name: "Service", description: "Liveness, readiness and metrics for operators" },
];

type Document = { paths?: Record<string, Record<string, unknown>>; components?: Record<string, unknown> } & Record<string, unknown>;
interface Operation {
  responses?: Record<string, { headers?: Record<string, unknown> }>;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

export interface FinishDocumentOptions {
  /** Operations behind a rate limit, as "METHOD /path" in OpenAPI's path syntax ("POST /login"). */
  rateLimited: ReadonlySet<string>;
}

/**
 * The headers every answer carries, added to every response of the generated document in one
 * place, so that a new route cannot forget them: X-Request-Id; Cache-Control: no-store (and
 * Pragma) unless the route declares its own Cache-Control; RateLimit-Policy and RateLimit on the
 * rate-limited operations. Also registers the header components. Returns a new document.
 */
export function finishDocument<D extends object>(document: D, options: FinishDocumentOptions): D {
  const finished = structuredClone(document) as D & Document;
  finished.components = { ...finished.components, headers: HEADER_COMPONENTS };
  for (const name of EXCLUSIVE_UNIONS) {
    const schemas = finished.components.schemas as Record<string, unknown> | undefined;
    const schema = schemas?.[name] as { anyOf?: unknown[]; oneOf?: unknown[] } | undefined;
    if (schema?.anyOf) {
      schema.oneOf = schema.anyOf;
      delete schema.anyOf;
    }
  }
  for (const [path, item] of Object.entries(finished.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation?.responses) continue;
      const rateLimited = options.rateLimited.has(`${method.toUpperCase()} ${path}`);
      for (const response of Object.values(operation.responses)) {
        const own = response.headers ?? {};
        const ownNames = new Set(Object.keys(own).map((name) => name.toLowerCase()));
        response.headers = {
          ...own,
          "X-Request-Id": headerRef("RequestId"),
          ...(!ownNames.has("cache-control") && { "Cache-Control": headerRef("CacheControlNoStore"), Pragma: headerRef("PragmaNoCache") }),
          ...(rateLimited && { "RateLimit-Policy": headerRef("RateLimitPolicy"), RateLimit: headerRef("RateLimit") }),
        };
      }
    }
  }
  return finished;
}
