import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachBackend, flows, uniqueEmail } from "../../helpers/flows.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient } from "../../helpers/test-app.js";

describeEachBackend("the OAuth client admin API", (backend) => {
  let testApp: TestApp;
  let client: TestClient;
  let token: string;
  beforeAll(async () => {
    testApp = await createTestApp({ backend });
    client = inProcessClient(testApp.app);
    const email = uniqueEmail("admin");
    const user = await register(email);
    await testApp.deps.users.update(user.id, { roles: ["user", "admin"] });
    token = (await login(email)).access_token;
  });
  afterAll(() => testApp.cleanup());
  const { register, login } = flows(() => client);
  const request = (method: string, path: string, json?: unknown) => client.request(method, path, { token, ...(json !== undefined && { json }) });

  it("creates, lists, gets, patches and deletes a client; the secret is shown once and never the hash", async () => {
    const created = await request("POST", "/admin/clients", { name: "Web app", type: "confidential", redirect_uris: ["https://app.example/cb"], first_party: true });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Web app", type: "confidential", token_endpoint_auth_method: "client_secret_basic", scopes: ["openid", "profile", "email"], first_party: true, jwks: null });
    expect(created.body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const id = created.body.client_id as string;
    const got = await request("GET", `/admin/clients/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.client_secret).toBeUndefined();
    expect(got.text).not.toMatch(/secret_hash|secretHash/);
    expect((await request("GET", "/admin/clients")).body.items.map((c: { client_id: string }) => c.client_id)).toContain(id);
    const patched = await request("PATCH", `/admin/clients/${id}`, { name: "Renamed", scopes: ["openid", "offline_access"] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: "Renamed", scopes: ["openid", "offline_access"] });
    expect((await request("DELETE", `/admin/clients/${id}`)).status).toBe(204);
    expect((await request("GET", `/admin/clients/${id}`)).status).toBe(404);
  });

  it("rotates a secret (200 with the new one); 409 for a public client; 404 for unknown ids everywhere", async () => {
    const created = await request("POST", "/admin/clients", { name: "Rotated", type: "confidential", redirect_uris: ["https://app.example/cb"] });
    const rotated = await request("POST", `/admin/clients/${created.body.client_id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.client_secret).not.toBe(created.body.client_secret);
    const pub = await request("POST", "/admin/clients", { name: "SPA", type: "public", redirect_uris: ["https://spa.example/cb"] });
    expect(pub.status).toBe(201);
    expect(pub.body.client_secret).toBeUndefined();
    expect(pub.body.token_endpoint_auth_method).toBe("none");
    const refused = await request("POST", `/admin/clients/${pub.body.client_id}/secret`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("CLIENT_HAS_NO_SECRET");
    for (const [method, path, json] of [
      ["GET", "/admin/clients/unknown", undefined],
      ["PATCH", "/admin/clients/unknown", { name: "x" }],
      ["DELETE", "/admin/clients/unknown", undefined],
      ["POST", "/admin/clients/unknown/secret", undefined],
    ] as const) {
      const response = await request(method, path, json);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.code).toBe("CLIENT_NOT_FOUND");
    }
  });

  it("answers 400 for bodies that break the rules", async () => {
    const base = { name: "Bad", type: "confidential", redirect_uris: ["https://app.example/cb"] };
    for (const body of [
      { ...base, redirect_uris: ["http://app.example/cb"] },
      { ...base, redirect_uris: ["https://app.example/cb#x"] },
      { ...base, redirect_uris: ["myapp:/cb"] },
      { ...base, scopes: ["two words"] },
      { ...base, grant_types: ["password"] },
      { ...base, type: "public", grant_types: ["authorization_code", "client_credentials"] },
      { ...base, grant_types: ["refresh_token"] },
      { ...base, redirect_uris: [] },
      { ...base, token_endpoint_auth_method: "private_key_jwt" },
      { ...base, token_endpoint_auth_method: "private_key_jwt", jwks: [{ kty: "EC", crv: "P-256", x: "x", y: "y", d: "private" }] },
      { type: "public" },
    ]) {
      const response = await request("POST", "/admin/clients", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe("VALIDATION_FAILED");
    }
    expect((await request("PATCH", "/admin/clients/anything", {})).status).toBe(400);
  });
});
