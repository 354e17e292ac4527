import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, inProcessClient, type TestApp } from "../helpers/test-app.js";

/** Production does not publish /metrics on the public port unless a bearer token guards it. */
const PRODUCTION = {
  NODE_ENV: "production",
  JWT_ISSUER: "https://auth.example.com",
  JWT_SECRET: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
};

/** An app per describe, built in its hooks (whose timeout leaves room for a busy machine), not in the test. */
function appWith(env?: Record<string, string>): () => TestApp {
  let testApp: TestApp | undefined;
  beforeAll(async () => {
    testApp = await createTestApp(env ? { env } : {});
  });
  afterAll(async () => {
    await testApp?.cleanup();
  });
  return () => testApp as TestApp;
}

describe("/metrics in production without METRICS_TOKEN", () => {
  const app = appWith(PRODUCTION);
  it("is not served on the public port (404), and not in /doc", async () => {
    const client = inProcessClient(app().app);
    expect((await client.request("GET", "/metrics")).status).toBe(404);
    expect((await client.request("GET", "/doc")).body.paths["/metrics"]).toBeUndefined();
  });
});

describe("/metrics in production with METRICS_TOKEN", () => {
  const token = "m".repeat(8) + crypto.randomUUID();
  const app = appWith({ ...PRODUCTION, METRICS_TOKEN: token });
  it("is served behind it: 401 without it, 200 with it", async () => {
    const client = inProcessClient(app().app);
    expect((await client.request("GET", "/metrics")).status).toBe(401);
    const scraped = await client.request("GET", "/metrics", { token });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain("auth_logins_total");
  });
});

describe("/metrics in development", () => {
  const app = appWith();
  it("stays open, where nothing is exposed to strangers", async () => {
    expect((await inProcessClient(app().app).request("GET", "/metrics")).status).toBe(200);
  });
});
