import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { HtmlEscapedString } from "hono/utils/html";
import { randomBytes, toBase64Url } from "../lib/encoding.js";
import { constantTimeEqual } from "../lib/constant-time.js";

/**
 * The security layer of the hosted pages: the per-answer nonce and Content-Security-Policy, the
 * headers every page carries, the CSRF token of every form, and the browser session's cookie.
 * Pure functions over a Hono context; no state of its own.
 */

/** 128 random bits, base64url: the nonce of one answer's inline `<style>` and `<script>`. */
export function createNonce(): string {
  return toBase64Url(randomBytes(16));
}

/** A CSP scheme-source (`https:`, or a native app's private-use scheme such as `com.example.app:`). */
const SCHEME_SOURCE = /^[a-z][a-z0-9+.-]*:$/i;
/**
 * A CSP host-source naming an origin: http(s), a DNS name (optionally `*.` wildcarded) or a bracketed
 * IPv6 literal, and an optional port or `:*` (RFC 8252's loopback redirect may use any port).
 */
const ORIGIN_SOURCE = /^https?:\/\/(?:(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(?:\d{1,5}|\*))?$/i;

/**
 * One form-action source as CSP writes it, or an error: a value with a space, a quote, a semicolon or
 * a comma would end the source (or the directive) and let a caller inject a policy of its own, and
 * a path would silently widen or narrow what is meant, so only bare origins and schemes pass.
 */
/** Schemes whose documents run in (or as) a page: never a place a form may lead. */
const SCRIPTABLE_SCHEMES = new Set(["javascript:", "data:", "blob:", "filesystem:", "vbscript:"]);

function formActionSource(source: string): string {
  if (SCHEME_SOURCE.test(source) && !SCRIPTABLE_SCHEMES.has(source.toLowerCase())) return source.toLowerCase();
  if (ORIGIN_SOURCE.test(source)) return source.toLowerCase();
  throw new TypeError(`not a CSP origin or scheme source: ${JSON.stringify(source)}`);
}

export interface PageCspOptions {
  /** The answer's nonce (createNonce()): the one inline `<style>` and `<script>` carry it. */
  nonce: string;
  /**
   * Where the page's forms may lead besides this origin: origins (`https://app.example`) or schemes
   * (`com.example.app:`). Chrome applies form-action to the redirects that follow a submission too,
   * so a form whose answer redirects to a client's redirect URI needs that URI's origin listed.
   */
  formActions: readonly string[];
}

/**
 * The page's Content-Security-Policy: nothing loads but the nonce'd inline style and script and
 * data: images (the logo); fetches go to this origin only; forms post here (and to `formActions`);
 * no framing (clickjacking a sign-in or consent button), no `<base>` (relative form actions stay ours).
 */
export function pageContentSecurityPolicy({ nonce, formActions }: PageCspOptions): string {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(nonce)) throw new TypeError("the nonce must be base64url, from createNonce()");
  const targets = [...new Set(formActions.map(formActionSource))];
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src data:",
    "connect-src 'self'",
    ["form-action 'self'", ...targets].join(" "),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

export interface RenderPageOptions extends PageCspOptions {
  status: ContentfulStatusCode;
}

/**
 * Answers with a page: text/html, its own CSP (the app's secure-headers middleware is told not to
 * overwrite headers a handler set, src/app.ts), never cached (a page holds a CSRF token and personal
 * data), never framed, and no Referer (the authorization request's query must not leak to a logo
 * host or a link target).
 */
export function renderPage(c: Context, element: HtmlEscapedString | Promise<HtmlEscapedString>, options: RenderPageOptions): Response | Promise<Response> {
  return c.html(element, options.status, {
    // This spelling: c.html puts its default under "Content-Type", and the later key replaces it.
    "Content-Type": "text/html; charset=utf-8",
    "content-security-policy": pageContentSecurityPolicy(options),
    "cache-control": "no-store",
    pragma: "no-cache",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
  });
}

export interface CookieOptions {
  /**
   * The issuer is https (isSecureIssuer): cookies are `__Host-` prefixed and Secure. Otherwise (a
   * plain-http development host, where browsers refuse Secure cookies) unprefixed and not Secure.
   */
  secure: boolean;
}

/** Whether the issuer is served over https, which decides the cookies' names and attributes. */
export function isSecureIssuer(issuer: string): boolean {
  return URL.canParse(issuer) && new URL(issuer).protocol === "https:";
}

const CSRF_COOKIE = "csrf";
/** The form field that carries the token. */
export const CSRF_FIELD = "csrf_token";
/** 256 random bits, base64url. */
const CSRF_TOKEN = /^[A-Za-z0-9_-]{43}$/;

function cookieAttributes({ secure }: CookieOptions) {
  return secure
    ? ({ prefix: "host", secure: true, httpOnly: true, sameSite: "Lax", path: "/" } as const)
    : ({ httpOnly: true, sameSite: "Lax", path: "/" } as const);
}

function readCookie(c: Context, name: string, { secure }: CookieOptions): string | undefined {
  return secure ? getCookie(c, name, "host") : getCookie(c, name);
}

/**
 * CSRF protection of the hosted forms: a double-submit cookie (OWASP's Cross-Site Request Forgery
 * Prevention Cheat Sheet). The page puts the token in a hidden `csrf_token` field and the same value
 * in a cookie; a POST passes only when both are present and equal.
 *
 * Why this stops login CSRF (an attacker's page posting the attacker's credentials, so that the
 * victim ends up signed in as the attacker) and forged consents:
 * - the cookie is SameSite=Lax, so a browser does not send it with a cross-site POST: the forged
 *   request arrives without a cookie and fails, whatever token the attacker put in the form;
 * - the attacker cannot plant a cookie of their own either: a `__Host-` cookie must be Secure, have
 *   no Domain and Path=/, so a sibling subdomain (or a plain-http man in the middle) cannot set
 *   one for this host, which plain double-submit cookies are otherwise weak against;
 * - HttpOnly: a script on the page does not need it and cannot read it.
 * The token is random and not tied to a session: the sign-in form is shown before there is one.
 *
 * Returns the token for the form: the browser's existing one when well formed (so several open tabs
 * keep working), otherwise a new one, set as the cookie.
 */
export function issueCsrfToken(c: Context, options: CookieOptions): string {
  const existing = readCookie(c, CSRF_COOKIE, options);
  if (existing !== undefined && CSRF_TOKEN.test(existing)) return existing;
  const token = toBase64Url(randomBytes(32));
  // No Max-Age: a browser-session cookie, gone when the browser closes.
  setCookie(c, CSRF_COOKIE, token, cookieAttributes(options));
  return token;
}

/** Whether the form's token equals the cookie's: false when either is missing or malformed. */
export function verifyCsrf(c: Context, formToken: string | undefined | null, options: CookieOptions): boolean {
  const cookie = readCookie(c, CSRF_COOKIE, options);
  if (typeof formToken !== "string" || cookie === undefined) return false;
  if (!CSRF_TOKEN.test(formToken) || !CSRF_TOKEN.test(cookie)) return false;
  return constantTimeEqual(formToken, cookie);
}

const SESSION_COOKIE = "session";

export interface BrowserSessionCookieOptions extends CookieOptions {
  /** How long the browser keeps it: the session's remaining lifetime. */
  maxAgeSeconds: number;
}

/**
 * The browser session's cookie (`__Host-session`; `session` on plain http): it holds only the random
 * id of a server-side record, HttpOnly (no script reads it) and SameSite=Lax (sent on the top-level
 * GET navigation of an authorization request from a client's site, not on cross-site POSTs).
 */
export function setBrowserSessionCookie(c: Context, value: string, options: BrowserSessionCookieOptions): void {
  setCookie(c, SESSION_COOKIE, value, { ...cookieAttributes(options), maxAge: Math.max(0, Math.floor(options.maxAgeSeconds)) });
}

/** The browser session cookie's value, or undefined. */
export function readBrowserSessionCookie(c: Context, options: CookieOptions): string | undefined {
  const value = readCookie(c, SESSION_COOKIE, options);
  return value === "" ? undefined : value;
}

/** Tells the browser to drop the session cookie (sign-out, or a cookie naming no live session). */
export function clearBrowserSessionCookie(c: Context, options: CookieOptions): void {
  deleteCookie(c, SESSION_COOKIE, cookieAttributes(options));
}
