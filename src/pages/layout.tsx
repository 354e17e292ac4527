import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import type { Branding } from "./branding.js";
import { CSRF_FIELD } from "./page-security.js";

/** What every page takes: the deployment's branding and this answer's CSP nonce (createNonce()). */
export interface PageBaseProps {
  branding: Branding;
  nonce: string;
}

/** What every page with a form takes besides: where it posts, what it carries along, its CSRF token. */
export interface FormPageProps extends PageBaseProps {
  csrfToken: string;
  /** The form's target: a path of this service. */
  action: string;
  /** Carried through the form as it is (e.g. the pending authorization request's id). */
  hiddenFields: Record<string, string>;
}

/** A colour config has already checked; anything else falls back, so no value can break out of the CSS. */
function cssColour(colour: string): string {
  return /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(colour) ? colour : "#1a5fb4";
}

/**
 * One small stylesheet for every page: the system font stack, a centred card, dark text on white
 * (and the reverse in dark mode), the accent on buttons and links, a focus ring no element hides.
 */
function stylesheet(accent: string): string {
  return `:root{--accent:${cssColour(accent)};--text:#1f2328;--muted:#57606a;--bg:#f6f8fa;--card:#fff;--border:#d0d7de;--danger:#b42318;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--text:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--card:#161b22;--border:#30363d;--danger:#ff8182}}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-size:100%;line-height:1.5;color:var(--text);background:var(--bg)}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1rem}
main{width:100%;max-width:26rem;background:var(--card);border:1px solid var(--border);border-radius:.75rem;padding:2rem 1.75rem}
.brand{display:flex;align-items:center;gap:.75rem;margin:0 0 1.25rem;font-weight:600;color:var(--muted)}
.brand img{max-height:2.5rem;max-width:10rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem}
p{margin:0 0 1rem}
.muted{color:var(--muted)}
form{margin:0}
.field{margin:0 0 1rem}
label{display:block;font-weight:600;margin:0 0 .25rem}
input[type=email],input[type=password],input[type=text]{display:block;width:100%;font:inherit;padding:.625rem .75rem;color:var(--text);background:var(--card);border:1px solid var(--border);border-radius:.375rem}
input[aria-invalid=true]{border-color:var(--danger)}
button{font:inherit;font-weight:600;cursor:pointer;width:100%;padding:.625rem 1rem;border-radius:.375rem;border:1px solid var(--accent);background:var(--accent);color:#fff;margin:0 0 .75rem}
button.secondary{background:transparent;color:var(--text);border-color:var(--border)}
.actions{display:flex;gap:.75rem;flex-wrap:wrap}.actions button{flex:1 1 8rem}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.alert{border:1px solid var(--danger);color:var(--danger);border-radius:.375rem;padding:.625rem .75rem;margin:0 0 1rem}
.alert:empty{border:0;padding:0;margin:0}
ul.scopes{padding-left:1.25rem;margin:0 0 1.25rem}ul.scopes li{margin:0 0 .5rem}
details{margin:0 0 1rem}summary{cursor:pointer;color:var(--accent)}
.divider{text-align:center;color:var(--muted);margin:.25rem 0 1rem}
[hidden]{display:none!important}
@media (max-width:30rem){body{padding:0;align-items:stretch}main{border:0;border-radius:0;padding:1.5rem 1rem}}`;
}

export interface PageProps extends PageBaseProps {
  /** The page's own title, shown as its heading and first in the document title. */
  title: string;
  children?: Child;
}

/** The document every hosted page is: no external asset of any kind, one landmark, one heading. */
export function Page({ branding, nonce, title, children }: PageProps) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>{`${title} · ${branding.productName}`}</title>
          <style nonce={nonce}>{raw(stylesheet(branding.accentColor))}</style>
        </head>
        <body>
          <main>
            <div class="brand">
              {branding.logoDataUrl?.startsWith("data:image/") && <img src={branding.logoDataUrl} alt="" />}
              <span>{branding.productName}</span>
            </div>
            <h1>{title}</h1>
            {children}
          </main>
        </body>
      </html>
    </>
  );
}

/** The hidden inputs every form carries: the caller's fields and the CSRF token. */
export function HiddenFields({ csrfToken, hiddenFields }: Pick<FormPageProps, "csrfToken" | "hiddenFields">) {
  return (
    <>
      {Object.entries(hiddenFields)
        .filter(([name]) => name !== CSRF_FIELD)
        .map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
      <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
    </>
  );
}

/**
 * An error announced to screen readers as it appears (role="alert"). Empty, it takes no room but
 * stays rendered (not display:none), so text a script puts in later is still announced.
 */
export function ErrorMessage({ id, message }: { id: string; message?: string | undefined }) {
  return (
    <div id={id} class="alert" role="alert">
      {message}
    </div>
  );
}
