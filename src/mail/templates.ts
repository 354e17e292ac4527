import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { html } from "hono/html";
import { defaultTemplates } from "./default-templates.js";
import type { MailMessage } from "./mailer.js";

/**
 * The messages the account flows send, each a subject, a plain-text and an HTML part.
 *
 * ## Replacing a template
 * Point `templatesDir` (MAIL_TEMPLATES_DIR) at a directory holding any of
 * `<name>.subject`, `<name>.txt`, `<name>.html` for the names below; each file present replaces that
 * part of the built-in message, each one missing keeps the default. Files are UTF-8 and are read once,
 * when the service starts: a bad template fails the start, not the first password reset.
 *
 * Placeholders are `{{key}}` (spaces inside the braces allowed), with these keys:
 *
 * | key          | value                                               | in                                     |
 * | ------------ | --------------------------------------------------- | -------------------------------------- |
 * | `product`    | the product name (MAIL_PRODUCT_NAME)                | every template                         |
 * | `email`      | the recipient's address                             | every template                         |
 * | `name`       | the user's display name, or their address if none   | every template                         |
 * | `link`       | the one-time link, `<app url><path>?token=<token>`  | verify-email, reset-password, confirm-email-change |
 * | `newEmail`   | the new address                                     | confirm-email-change, email-changed-notice |
 *
 * Rules, checked at start: an unknown key is an error; a template with a link must use `{{link}}` in
 * both its text and its HTML part, and never in its subject (subjects end up in logs and
 * notifications); in the text part `{{link}}` must stand alone on its line. In the HTML part every
 * value is HTML-escaped (hono's `html` helper), the template's own markup is used as written. In the
 * text part and the subject, line breaks and control characters in a value become spaces, so a
 * display name cannot forge extra lines (a fake link) into the message.
 */
export type MailTemplateName =
  | "verify-email"
  | "reset-password"
  | "confirm-email-change"
  | "email-changed-notice"
  | "password-changed-notice";

export const mailTemplateNames: readonly MailTemplateName[] = [
  "verify-email",
  "reset-password",
  "confirm-email-change",
  "email-changed-notice",
  "password-changed-notice",
];

/** A template's three parts, with `{{key}}` placeholders. */
export interface MailTemplateSource {
  subject: string;
  text: string;
  html: string;
}

/** What each template needs; `to` is the recipient (for email-changed-notice: the old address). */
export interface MailTemplateInputs {
  "verify-email": { to: string; token: string; name?: string | null };
  "reset-password": { to: string; token: string; name?: string | null };
  /** `to` is the new address, the one being confirmed. */
  "confirm-email-change": { to: string; token: string; name?: string | null };
  "email-changed-notice": { to: string; newEmail: string; name?: string | null };
  "password-changed-notice": { to: string; name?: string | null };
}

/** The templates that carry a link, and the default path of each link on the app URL. */
export type MailLinkTemplateName = "verify-email" | "reset-password" | "confirm-email-change";

export const defaultMailLinkPaths: Readonly<Record<MailLinkTemplateName, string>> = {
  "verify-email": "/verify-email",
  "reset-password": "/reset-password",
  "confirm-email-change": "/confirm-email-change",
};

export interface MailTemplatesOptions {
  /** The product name shown in every message (MAIL_PRODUCT_NAME). */
  product: string;
  /** The base URL of the app the links open (APP_URL), http or https. */
  appUrl: string;
  /**
   * Path of each link, resolved against `appUrl` as a link in a page would be: `/reset-password`
   * replaces the app URL's path, `reset-password` is appended to it when the app URL ends in `/`.
   */
  linkPaths?: Partial<Record<MailLinkTemplateName, string>>;
  /** A directory of replacement template files (MAIL_TEMPLATES_DIR); see the module comment. */
  templatesDir?: string;
}

export interface MailTemplates {
  render<N extends MailTemplateName>(name: N, input: MailTemplateInputs[N]): MailMessage;
  /** The link a template would carry for `token`, for tests and for flows that show it elsewhere. */
  link(name: MailLinkTemplateName, token: string): string;
}

type PlaceholderKey = "product" | "email" | "name" | "link" | "newEmail";

const linkTemplates = new Set<MailTemplateName>(Object.keys(defaultMailLinkPaths) as MailLinkTemplateName[]);

function allowedKeys(name: MailTemplateName): Set<PlaceholderKey> {
  const keys = new Set<PlaceholderKey>(["product", "email", "name"]);
  if (linkTemplates.has(name)) keys.add("link");
  if (name === "confirm-email-change" || name === "email-changed-notice") keys.add("newEmail");
  return keys;
}

/** A template split at its placeholders: `literals.length === keys.length + 1`, as a tagged template's strings are. */
interface ParsedTemplate {
  literals: string[];
  keys: PlaceholderKey[];
}

/**
 * Hand-written on purpose: a `{{key}}` scanner is a few lines, whereas a template engine (mustache,
 * handlebars) would bring sections, partials and its own HTML escaper, and here there must be one
 * escaper (hono's) and a fixed set of keys that is checked when the service starts.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

function parseTemplate(source: string, allowed: Set<PlaceholderKey>, where: string): ParsedTemplate {
  const literals: string[] = [];
  const keys: PlaceholderKey[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const key = match[1] as PlaceholderKey;
    if (!allowed.has(key)) {
      throw new Error(`${where}: unknown placeholder {{${match[1]}}}; allowed here: ${[...allowed].join(", ")}`);
    }
    literals.push(source.slice(last, match.index));
    keys.push(key);
    last = match.index + match[0].length;
  }
  literals.push(source.slice(last));
  return { literals, keys };
}

interface CompiledTemplate {
  subject: ParsedTemplate;
  text: ParsedTemplate;
  html: ParsedTemplate;
}

function compile(name: MailTemplateName, source: MailTemplateSource, origin: string): CompiledTemplate {
  const allowed = allowedKeys(name);
  const subjectAllowed = new Set(allowed);
  subjectAllowed.delete("link");
  const compiled = {
    subject: parseTemplate(source.subject, subjectAllowed, `${origin} ${name} subject`),
    text: parseTemplate(source.text, allowed, `${origin} ${name} text`),
    html: parseTemplate(source.html, allowed, `${origin} ${name} html`),
  };
  if (/[\r\n]/.test(source.subject)) throw new Error(`${origin} ${name} subject: must be a single line`);
  if (linkTemplates.has(name)) {
    if (!compiled.text.keys.includes("link")) throw new Error(`${origin} ${name} text: must contain {{link}}`);
    if (!compiled.html.keys.includes("link")) throw new Error(`${origin} ${name} html: must contain {{link}}`);
    const alone = source.text.split(/\r?\n/).every((line) => !PLACEHOLDER_LINK.test(line) || PLACEHOLDER_LINK_ALONE.test(line));
    if (!alone) throw new Error(`${origin} ${name} text: {{link}} must stand alone on its line`);
  }
  return compiled;
}

const PLACEHOLDER_LINK = /\{\{\s*link\s*\}\}/;
const PLACEHOLDER_LINK_ALONE = /^\s*\{\{\s*link\s*\}\}\s*$/;

/** Line breaks and other control characters (C0, DEL, C1, the Unicode line and paragraph separators) become spaces. */
function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
}

function renderPlain(template: ParsedTemplate, values: Record<PlaceholderKey, string>): string {
  let out = template.literals[0] ?? "";
  template.keys.forEach((key, i) => {
    out += oneLine(values[key]) + (template.literals[i + 1] ?? "");
  });
  return out;
}

function renderHtml(template: ParsedTemplate, values: Record<PlaceholderKey, string>): string {
  // hono's `html` tag escapes every interpolated string and keeps the literals as they are; a
  // template read from a file is handed to it as the strings of a tagged template.
  const strings = Object.assign([...template.literals], { raw: [...template.literals] }) as unknown as TemplateStringsArray;
  const rendered = html(strings, ...template.keys.map((key) => oneLine(values[key])));
  if (rendered instanceof Promise) throw new Error("unexpected asynchronous HTML template");
  return rendered.toString();
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw error;
  }
}

async function loadSource(name: MailTemplateName, dir: string | undefined): Promise<{ source: MailTemplateSource; origin: string }> {
  const defaults = defaultTemplates[name];
  if (!dir) return { source: defaults, origin: "built-in template:" };
  const [subject, text, htmlPart] = await Promise.all([
    readOptional(join(dir, `${name}.subject`)),
    readOptional(join(dir, `${name}.txt`)),
    readOptional(join(dir, `${name}.html`)),
  ]);
  return {
    source: {
      // A subject file usually ends in a newline; the subject is its one line.
      subject: subject?.replace(/\r?\n$/, "") ?? defaults.subject,
      text: text ?? defaults.text,
      html: htmlPart ?? defaults.html,
    },
    origin: `template in ${dir}:`,
  };
}

function checkAppUrl(appUrl: string): URL {
  const url = new URL(appUrl);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`The app URL must be http(s), not ${url.protocol}`);
  return url;
}

/** Builds the templates once at start: reads and checks the deployer's files, if any. */
export async function createMailTemplates(options: MailTemplatesOptions): Promise<MailTemplates> {
  const appUrl = checkAppUrl(options.appUrl);
  const product = oneLine(options.product);
  if (!product) throw new Error("The product name is empty");
  const paths = { ...defaultMailLinkPaths, ...options.linkPaths };
  const compiled = new Map<MailTemplateName, CompiledTemplate>();
  for (const name of mailTemplateNames) {
    const { source, origin } = await loadSource(name, options.templatesDir);
    compiled.set(name, compile(name, source, origin));
  }

  function link(name: MailLinkTemplateName, token: string): string {
    const url = new URL(paths[name], appUrl);
    // URLSearchParams percent-encodes the token, whatever alphabet the flow's tokens use.
    url.searchParams.set("token", token);
    return url.toString();
  }

  return {
    link,
    render(name, input) {
      const template = compiled.get(name);
      if (!template) throw new Error(`unknown mail template ${name}`);
      const values: Record<PlaceholderKey, string> = {
        product,
        email: input.to,
        name: oneLine(input.name ?? "") || input.to,
        link: "token" in input ? link(name as MailLinkTemplateName, input.token) : "",
        newEmail: "newEmail" in input ? input.newEmail : input.to,
      };
      return {
        to: input.to,
        subject: renderPlain(template.subject, values),
        text: renderPlain(template.text, values),
        html: renderHtml(template.html, values),
      };
    },
  };
}
