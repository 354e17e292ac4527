import { Hono } from "hono";
import { ProblemError } from "../http/problem.js";
import { toBase64Url } from "../lib/encoding.js";
import { readSwaggerUiFiles, SWAGGER_UI_FILES, type SwaggerUiFileName } from "./swagger-ui-files.js";

/**
 * The Content-Security-Policy of /ui and its assets: nothing but this service's own files.
 * - `script-src 'self'`: no inline script; the page's SwaggerUIBundle call is a served file.
 * - `style-src 'self'`: no 'unsafe-inline'. Swagger UI 5 sets its inline styles from React, through
 *   the CSSOM (`element.style`), which CSP does not govern; test/docs/swagger-ui.browser.ts loads the
 *   page in Chromium and fails on any CSP report, so a release that needs more shows up there.
 * - `img-src 'self' data:`: swagger-ui.css draws its icons as data: URIs.
 * - `connect-src 'self'`: the OpenAPI document and "Try it out" go to this origin only.
 * - the rest: no plugins, no <base>, no framing, no form posts, nothing else (`default-src 'none'`).
 */
export const SWAGGER_UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "base-uri 'none'",
].join("; ");

const ASSETS_PATH = "/ui/assets";
const INITIALIZER = "swagger-initializer.js";

/** Starts Swagger UI on the page; a file of its own, so that the page needs no inline script. */
function initializerScript(documentUrl: string): string {
  return `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(documentUrl)},
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The online validator would send the document to swagger.io (and connect-src forbids it).
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;
}

interface Asset {
  body: Uint8Array;
  contentType: string;
  /** A digest of the content: the `?v=` of its URL, so a new release is never served from a cache. */
  version: string;
}

async function digest(body: Uint8Array): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", body))).slice(0, 16);
}

async function loadAssets(documentUrl: string, readFiles: typeof readSwaggerUiFiles): Promise<Map<string, Asset>> {
  const files = await readFiles();
  const entries: Array<[string, Uint8Array, string]> = (Object.keys(SWAGGER_UI_FILES) as SwaggerUiFileName[]).map((name) => [
    name,
    files[name],
    SWAGGER_UI_FILES[name],
  ]);
  entries.push([INITIALIZER, new TextEncoder().encode(initializerScript(documentUrl)), "text/javascript; charset=utf-8"]);
  const assets = new Map<string, Asset>();
  for (const [name, body, contentType] of entries) assets.set(name, { body, contentType, version: await digest(body) });
  return assets;
}

function page(assets: Map<string, Asset>, title: string): string {
  const url = (name: string) => `${ASSETS_PATH}/${name}?v=${assets.get(name)!.version}`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title}</title>
    <link rel="stylesheet" href="${url("swagger-ui.css")}">
    <link rel="icon" type="image/png" href="${url("favicon-32x32.png")}" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${url("swagger-ui-bundle.js")}"></script>
    <script src="${url(INITIALIZER)}"></script>
  </body>
</html>
`;
}

export interface SwaggerUiOptions {
  /** Where the page finds the OpenAPI document. */
  documentUrl: string;
  /** The page's title (plain text). */
  title: string;
  /** Reads swagger-ui-dist's files; tests may pass their own. */
  readFiles?: typeof readSwaggerUiFiles;
}

/**
 * GET /ui (the page) and GET /ui/assets/<file> (swagger-ui-dist's bundle, stylesheet and icon, and
 * the initialiser), every answer with SWAGGER_UI_CSP. The files are read once, at the first request
 * (a service that never shows /ui never reads them); a failed read is retried at the next one.
 */
export function createSwaggerUi(options: SwaggerUiOptions): Hono {
  const readFiles = options.readFiles ?? readSwaggerUiFiles;
  let loading: Promise<Map<string, Asset>> | undefined;
  const assets = () =>
    (loading ??= loadAssets(options.documentUrl, readFiles).catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));

  const ui = new Hono();
  ui.use("/ui", swaggerUiCsp);
  ui.use(`${ASSETS_PATH}/*`, swaggerUiCsp);
  ui.get("/ui", async (c) => c.html(page(await assets(), options.title), 200));
  ui.get(`${ASSETS_PATH}/:file`, async (c) => {
    const asset = (await assets()).get(c.req.param("file"));
    if (!asset) throw new ProblemError("NOT_FOUND", { detail: "No such asset." });
    // A URL naming this content's digest never changes; any other (an old page's) is revalidated.
    const cacheControl = c.req.query("v") === asset.version ? "public, max-age=31536000, immutable" : "no-cache";
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { "content-type": asset.contentType, "cache-control": cacheControl });
  });
  return ui;
}

async function swaggerUiCsp(c: { header(name: string, value: string): void }, next: () => Promise<void>): Promise<void> {
  c.header("content-security-policy", SWAGGER_UI_CSP);
  await next();
}
