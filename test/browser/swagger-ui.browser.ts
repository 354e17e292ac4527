import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Runtime, type ServerProcess } from "../helpers/server-process.js";

/**
 * /ui in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; `npx
 * playwright install` cannot download browsers here): the built service on each runtime, the page
 * under its strict CSP, no network beyond the service. The operations list must render and the
 * browser must report no CSP violation. Run by `npm run test:browser` (vitest.browser.config.ts),
 * which .ci/run calls after installing chromium when it is missing.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let browser: Browser;
let userDataDir: string;
let context: BrowserContext;

beforeAll(async () => {
  userDataDir = await mkdtemp(join(tmpdir(), "auth-service-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  browser = context.browser()!;
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await rm(userDataDir, { recursive: true, force: true });
});

describe.each<Runtime>(["node", "bun"])("Swagger UI at /ui of the service as a process on %s", (runtime) => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer(runtime, { NODE_ENV: "development" });
  });

  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("renders the operations list, loads nothing from elsewhere and reports no CSP violation", async () => {
    const page = await context.newPage();
    const violations: string[] = [];
    const consoleErrors: string[] = [];
    const foreignRequests: string[] = [];
    // Injected through the DevTools protocol, which the page's CSP does not govern. (A string: the
    // project's type-check has no DOM library.)
    await page.exposeFunction("reportCspViolation", (text: string) => violations.push(text));
    await page.addInitScript({
      content: `document.addEventListener("securitypolicyviolation", (event) => {
        window.reportCspViolation(event.violatedDirective + " " + event.blockedURI + " " + event.sourceFile + ":" + event.lineNumber);
      });`,
    });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("request", (request) => {
      if (!request.url().startsWith(server.baseUrl) && !request.url().startsWith("data:")) foreignRequests.push(request.url());
    });

    await page.goto(`${server.baseUrl}/ui`);
    const operations = page.locator(".opblock");
    await expect.poll(() => operations.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const login = page.locator(".opblock-summary-path", { hasText: /^\/login$/ }).first();
    await login.waitFor({ state: "visible", timeout: 30_000 });
    expect(await page.locator(".opblock-summary-path", { hasText: /^\/me$/ }).count()).toBeGreaterThan(0);

    // Opening an operation renders more of the UI (parameters, schemas, the syntax highlighter).
    await login.click();
    await page.locator(".opblock.is-open .opblock-body").first().waitFor({ state: "visible", timeout: 30_000 });

    expect(violations).toEqual([]);
    expect(consoleErrors.filter((text) => /content security policy/i.test(text))).toEqual([]);
    expect(foreignRequests).toEqual([]);
    await page.close();
  }, 120_000);
});
