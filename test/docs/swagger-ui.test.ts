import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, inProcessClient, type TestApp } from "../helpers/test-app.js";

/**
 * /ui is Swagger UI served by the service itself from the swagger-ui-dist package, under a strict
 * Content-Security-Policy, and DOCS_ENABLED=false takes it and /doc away. That it renders in a real
 * browser under that policy is test/browser/swagger-ui.browser.ts (npm run test:browser).
 */
const EXPECTED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'";

function packageFile(name: string): Promise<Buffer> {
  return readFile(createRequire(import.meta.url).resolve(`swagger-ui-dist/${name}`));
}

describe("GET /ui", () => {
  // One app for these read-only tests (they change no state), built in a hook with its generous timeout.
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  it("is served with /doc by default (DOCS_ENABLED unset)", async () => {
    const client = inProcessClient(testApp.app);
    expect((await client.request("GET", "/doc")).status).toBe(200);
    expect((await client.request("GET", "/ui")).status).toBe(200);
  });

  it("is a page with no inline script that loads only the service's own assets, under a strict CSP", async () => {
    const client = inProcessClient(testApp.app);
    const ui = await client.request("GET", "/ui");
    expect(ui.status).toBe(200);
    expect(ui.headers.get("content-type")).toMatch(/^text\/html/);
    expect(ui.headers.get("content-security-policy")).toBe(EXPECTED_CSP);

    const scripts = [...ui.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/ src="\/ui\/assets\//);
      expect(body!.trim()).toBe("");
    }
    expect(ui.text).not.toMatch(/ on[a-z]+=|style=|https?:\/\//i);

    const urls = [...ui.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(urls.length).toBe(4);
    for (const url of urls) {
      expect(url).toMatch(/^\/ui\/assets\/[a-z0-9.-]+\?v=[A-Za-z0-9_-]+$/);
      const asset = await testApp.app.request(url);
      expect(asset.status, url).toBe(200);
      expect(asset.headers.get("content-security-policy"), url).toBe(EXPECTED_CSP);
      expect(asset.headers.get("cache-control"), url).toBe("public, max-age=31536000, immutable");
    }
  });

  it("serves swagger-ui-dist's own bundle and stylesheet, and an initialiser that reads /doc", async () => {
    const ui = await inProcessClient(testApp.app).request("GET", "/ui");
    const url = (name: string) => ui.text.match(new RegExp(`"(/ui/assets/${name.replaceAll(".", "\\.")}\\?v=[^"]+)"`))![1]!;

    const bundle = await testApp.app.request(url("swagger-ui-bundle.js"));
    expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    // Byte for byte (Buffer.equals: a deep equality over 1.7 MB would take vitest seconds).
    expect(Buffer.from(await bundle.arrayBuffer()).equals(await packageFile("swagger-ui-bundle.js"))).toBe(true);
    const css = await testApp.app.request(url("swagger-ui.css"));
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(Buffer.from(await css.arrayBuffer()).equals(await packageFile("swagger-ui.css"))).toBe(true);

    const initializer = await (await testApp.app.request(url("swagger-initializer.js"))).text();
    expect(initializer).toContain("SwaggerUIBundle(");
    expect(initializer).toContain('url: "/doc"');
  });

  it("answers an unknown asset with a 404 problem, and an asset under an old digest without long caching", async () => {
    const client = inProcessClient(testApp.app);
    const unknown = await client.request("GET", "/ui/assets/index.html");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    expect(unknown.body.code).toBe("NOT_FOUND");
    const stale = await client.request("GET", "/ui/assets/swagger-ui.css?v=an-old-release");
    expect(stale.status).toBe(200);
    expect(stale.headers.get("cache-control")).toBe("no-cache");
  });
});

describe("DOCS_ENABLED=false", () => {
  // Built in a hook (its generous timeout): an app's start can take most of a test's 30 s on a busy machine.
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ env: { DOCS_ENABLED: "false" } });
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });

  it("answers /ui, its assets and /doc with 404 problems, and the API still works", async () => {
    const client = inProcessClient(testApp.app);
    for (const path of ["/ui", "/ui/assets/swagger-ui-bundle.js", "/ui/assets/swagger-initializer.js", "/doc"]) {
      const response = await client.request("GET", path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-type"), path).toBe("application/problem+json");
      expect(response.body.code, path).toBe("NOT_FOUND");
    }
    expect((await client.request("GET", "/healthz")).status).toBe(200);
  });
});
