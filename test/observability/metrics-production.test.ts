import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, inProcessClient, type TestApp } from "../helpers/test-app.js";

/** Production does not publish /metrics on the public port unless a bearer token guards it. */
const PRODUCTION = {
  NODE_ENV: "production",
  JWT_ISSUER: "https://auth.example.com",
  JWT_SECRET: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
};

describe("/metrics in production", () => {
  let testApp: TestApp | undefined;
  afterEach(async () => {
    await testApp?.cleanup();
    testApp = undefined;
  });

  it("is not served on the public port without METRICS_TOKEN (404), and not in /doc", async () => {
    testApp = await createTestApp({ env: PRODUCTION });
    const client = inProcessClient(testApp.app);
    expect((await client.request("GET", "/metrics")).status).toBe(404);
    expect((await client.request("GET", "/doc")).body.paths["/metrics"]).toBeUndefined();
  });

  it("is served behind METRICS_TOKEN: 401 without it, 200 with it", async () => {
    const token = "m".repeat(8) + crypto.randomUUID();
    testApp = await createTestApp({ env: { ...PRODUCTION, METRICS_TOKEN: token } });
    const client = inProcessClient(testApp.app);
    expect((await client.request("GET", "/metrics")).status).toBe(401);
    const scraped = await client.request("GET", "/metrics", { token });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain("auth_logins_total");
  });

  it("stays open in development, where nothing is exposed to strangers", async () => {
    testApp = await createTestApp();
    expect((await inProcessClient(testApp.app).request("GET", "/metrics")).status).toBe(200);
  });
});
