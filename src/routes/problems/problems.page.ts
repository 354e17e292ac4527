import { PROBLEMS, problemType, type ProblemCode } from "../../http/problem.js";

/**
 * The pages behind the problem `type` URIs: plain HTML from the problems registry, no script and
 * nothing loaded from elsewhere. The one stylesheet is inline and allowed by its hash, so the
 * policy can say `default-src 'none'`.
 */
const STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;background:#fff}" +
  "h1{font-size:1.5rem;line-height:1.25}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}" +
  "dd{margin:0}code{font-size:.95em;overflow-wrap:anywhere}table{border-collapse:collapse}td,th{text-align:left;padding:.25rem .75rem .25rem 0;vertical-align:top}";

/** `Content-Security-Policy` of the pages: nothing but their own stylesheet, never framed. */
export async function pageSecurityPolicy(): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(STYLE));
  const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
  return `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The registry's texts mark names with backticks; on the page they become <code>. */
function prose(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface ProblemTypeFacts {
  type: string;
  code: ProblemCode;
  status: number;
  title: string;
  description: string;
}

export function problemTypeFacts(code: ProblemCode, issuer: string): ProblemTypeFacts {
  const { status, title, help } = PROBLEMS[code];
  return { type: problemType(code, issuer), code, status, title, description: help };
}

export function problemTypePage(code: ProblemCode, issuer: string): string {
  const facts = problemTypeFacts(code, issuer);
  return page(
    `${facts.title} (${code})`,
    `<p>Problem type of auth-service</p>
<h1>${escapeHtml(facts.title)}</h1>
<p>${prose(facts.description)}</p>
<dl>
<dt>Code</dt><dd><code>${code}</code></dd>
<dt>HTTP status</dt><dd>${facts.status}</dd>
<dt>Type URI</dt><dd><code>${escapeHtml(facts.type)}</code></dd>
</dl>
<p>An answer with this problem is <code>application/problem+json</code> (RFC 9457) with this <code>type</code> and <code>code</code>; its <code>detail</code> and <code>request_id</code> describe the one occurrence. <a href="${escapeHtml(`${issuer}/problems`)}">Every problem type</a> · <a href="${escapeHtml(`${issuer}/ui`)}">API documentation</a></p>`,
  );
}

export function problemIndexPage(issuer: string): string {
  const rows = (Object.keys(PROBLEMS) as ProblemCode[])
    .map((code) => {
      const { status, title } = PROBLEMS[code];
      return `<tr><td><a href="${escapeHtml(problemType(code, issuer))}"><code>${code}</code></a></td><td>${status}</td><td>${escapeHtml(title)}</td></tr>`;
    })
    .join("\n");
  return page(
    "Problem types of auth-service",
    `<h1>Problem types of auth-service</h1>
<p>Every error of this service is an RFC 9457 problem whose <code>type</code> is one of these pages.</p>
<table>
<thead><tr><th>Code</th><th>Status</th><th>Title</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`,
  );
}
