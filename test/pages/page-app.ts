import { Hono, type Context } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { HtmlEscapedString } from "hono/utils/html";
import { DEFAULT_ACCENT_COLOR } from "../../src/config.js";
import type { Branding } from "../../src/pages/branding.js";
import { issueCsrfToken, renderPage } from "../../src/pages/page-security.js";

export const BRANDING: Branding = { productName: "Acme ID", accentColor: DEFAULT_ACCENT_COLOR };
export const NONCE = "bm9uY2Utb2YtdGhlLXRlc3Q";

type Element = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * A test-only app that serves one page at GET /page through renderPage, behind the same
 * secure-headers middleware the service uses (src/app.ts), so the headers seen are the real ones.
 */
export function pageApp(render: (c: Context, csrfToken: string) => Element, formActions: string[] = [], status: 200 | 400 | 403 = 200): Hono {
  const app = new Hono();
  app.use(secureHeaders({ crossOriginResourcePolicy: "same-origin", overwrite: false }));
  app.get("/page", (c) => renderPage(c, render(c, issueCsrfToken(c, { secure: true })), { nonce: NONCE, formActions, status }));
  return app;
}

export interface Tag {
  name: string;
  attributes: Record<string, string>;
}

/** The start tags of one element name; hono/jsx writes every attribute value double-quoted and escaped. */
export function tags(html: string, name: string): Tag[] {
  return [...html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, "gi"))].map((match) => ({
    name,
    attributes: Object.fromEntries([...match[1]!.matchAll(/([\w:-]+)(?:="([^"]*)")?/g)].map((a) => [a[1]!, a[2] ?? ""])),
  }));
}

/** Every visible form control has a <label for> naming its id. */
export function unlabelledControls(html: string): string[] {
  const labelled = new Set(tags(html, "label").map((label) => label.attributes.for));
  return tags(html, "input")
    .filter((input) => input.attributes.type !== "hidden")
    .filter((input) => !input.attributes.id || !labelled.has(input.attributes.id))
    .map((input) => input.attributes.name ?? "?");
}

/** Absolute http(s) URLs in the markup: a page must load and link nothing from another host. */
export function externalUrls(html: string): string[] {
  return [...html.matchAll(/https?:\/\/[^\s"'<>)]+/gi)].map((match) => match[0]);
}
