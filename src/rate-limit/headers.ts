/**
 * The IETF `RateLimit-Policy` and `RateLimit` header fields in the Structured Fields syntax that
 * draft-ietf-httpapi-ratelimit-headers took on in draft 08 (express-rate-limit's `draft-8`), the
 * form the working group has developed since: lists whose items name a policy, e.g.
 *
 *   RateLimit-Policy: "login";q=20;w=600
 *   RateLimit: "login";r=17;t=412
 *
 * Draft 7 (`RateLimit: limit=20, remaining=17, reset=412`), the newest that hono-rate-limiter 0.5
 * can emit, was replaced by this syntax in draft 8 and is no longer what the working group
 * specifies; clients written against the draft (and express-rate-limit's `draft-8` mode) read this
 * one. Several policies on one response (the per-IP limit and the per-account throttle of /login)
 * are appended as further list members, which Structured Fields allow.
 */

/** A policy name is a Structured Field String: printable ASCII, with `"` and `\` escaped. */
function sfString(name: string): string {
  return `"${name.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/** `"name";q=<quota>;w=<window seconds>` */
export function rateLimitPolicyValue(name: string, quota: number, windowSeconds: number): string {
  return `${sfString(name)};q=${quota};w=${windowSeconds}`;
}

/** `"name";r=<remaining>;t=<seconds until the quota resets>` */
export function rateLimitValue(name: string, remaining: number, resetSeconds: number): string {
  return `${sfString(name)};r=${Math.max(0, remaining)};t=${Math.max(0, resetSeconds)}`;
}

/** Headers for a 429: when to retry, and which policy refused. `Retry-After` is at least 1 second. */
export function tooManyRequestsHeaders(
  name: string,
  quota: number,
  windowSeconds: number,
  retryAfterSeconds: number,
): Record<string, string> {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return {
    "retry-after": String(retryAfter),
    "ratelimit-policy": rateLimitPolicyValue(name, quota, windowSeconds),
    ratelimit: rateLimitValue(name, 0, retryAfter),
  };
}
