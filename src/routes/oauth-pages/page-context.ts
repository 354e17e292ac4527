import type { Context } from "hono";
import type { AppEnv } from "../../deps.js";
import { createNonce, isSecureIssuer, issueCsrfToken, readBrowserSessionCookie, renderPage, verifyCsrf, type Branding } from "../../pages/index.js";
import type { BrowserSession } from "../../oauth/index.js";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** What every hosted page needs from the request: its nonce, CSRF token, branding, cookie security. */
export interface PageContext {
  nonce: string;
  csrfToken: string;
  branding: Branding;
  secure: boolean;
}

export function pageContext(c: Context<AppEnv>): PageContext {
  const secure = isSecureIssuer(c.var.services.issuer);
  return { nonce: createNonce(), csrfToken: issueCsrfToken(c, { secure }), branding: c.var.services.branding, secure };
}

export function render(c: Context<AppEnv>, page: PageContext, element: HtmlEscapedString | Promise<HtmlEscapedString>, status: ContentfulStatusCode, formActions: string[] = []) {
  return renderPage(c, element, { nonce: page.nonce, formActions, status });
}

/** The browser's signed-in session, if its cookie names a live one. */
export function browserSession(c: Context<AppEnv>): Promise<BrowserSession | null> {
  const cookie = readBrowserSessionCookie(c, { secure: isSecureIssuer(c.var.services.issuer) });
  return c.var.services.oauth.browserSessions.find(cookie);
}

export function csrfValid(c: Context<AppEnv>, token: unknown): boolean {
  return verifyCsrf(c, typeof token === "string" ? token : undefined, { secure: isSecureIssuer(c.var.services.issuer) });
}

/**
 * The CSP form-action source that lets a form's redirect reach `uri` (Chrome enforces form-action
 * on the redirects after a submission): its origin, or its scheme for a native app's private-use URI.
 */
export function formActionFor(uri: string): string {
  const url = new URL(uri);
  return url.protocol === "http:" || url.protocol === "https:" ? url.origin : url.protocol;
}

/** A posted form's fields as strings; a repeated field keeps its last value, which then fails the checks that matter. */
export async function formFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody({ all: false });
  return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}
