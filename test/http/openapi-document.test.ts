import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validate } from "@hyperjump/json-schema/openapi-3-1";
import { PROBLEMS } from "../../src/http/problem.js";
import { flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createOpenApiValidator, type OpenApiValidator } from "../helpers/openapi-validator.js";
import { createTestApp, GENEROUS_LIMITS_ENV, inProcessClient, type TestApp, type TestClient, type TestResponse } from "../helpers/test-app.js";

/**
 * The document at /doc and the answers of the service cannot drift apart: real answers (success,
 * problems, headers) are checked against the document as served, with a JSON Schema 2020-12
 * validator in the OpenAPI 3.1 dialect (test/helpers/openapi-validator.ts). The linters
 * (`npm run lint:openapi`) check the document's form; this checks that it tells the truth.
 */
const ISSUER = "https://auth-service.test";
const METHODS = ["get", "put", "post", "delete", "patch"];

describe("the OpenAPI document", () => {
  let testApp: TestApp;
  let client: TestClient;
  let validator: OpenApiValidator;
  let doc: Record<string, any>;
  beforeAll(async () => {
    testApp = await createTestApp({ env: { JWT_ISSUER: ISSUER } });
    client = inProcessClient(testApp.app);
    doc = (await client.request("GET", "/doc")).body;
    validator = await createOpenApiValidator(doc);
  });
  afterAll(async () => {
    validator.close();
    await testApp.cleanup();
  });
  const { login, signedIn } = flows(() => client);

  /** Sends the request and holds its answer to the document. */
  async function exchange(method: string, path: string, options?: Parameters<TestClient["request"]>[2]): Promise<TestResponse> {
    const response = await client.request(method, path, options);
    expect(await validator.check(method, path, response), `${method} ${path}`).toEqual([]);
    return response;
  }

  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method] })),
    );

  it("is a valid OpenAPI 3.1 document, its schemas in the 3.1 dialect", async () => {
    const output = await validate("https://spec.openapis.org/oas/3.1/schema-base", doc);
    expect(output.valid).toBe(true);
  });

  it("names this deployment as its server, and every operation its security and a camelCase operationId", () => {
    expect(doc.servers).toEqual([{ url: ISSUER, description: expect.any(String) }]);
    const ids = new Set<string>();
    for (const { path, method, operation } of operations()) {
      expect(operation.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z0-9]*$/);
      ids.add(operation.operationId);
      expect(Array.isArray(operation.security), `${method} ${path} declares security`).toBe(true);
    }
    expect(ids.size).toBe(operations().length);
    expect(doc.paths["/register"].post.security).toEqual([]);
    expect(doc.paths["/me"].get.security).toEqual([{ bearerAuth: [] }]);
  });

  it("has examples on every request body and response, each valid against its schema", async () => {
    const examples: Array<{ where: string; pointer: string; value: unknown }> = [];
    const resolve = (node: any) => (node?.$ref ? node.$ref.slice(2).split("/").reduce((parent: any, key: string) => parent[key], doc) : node);
    for (const { path, method, operation } of operations()) {
      const at = `#/paths/${path.replaceAll("~", "~0").replaceAll("/", "~1")}/${method}`;
      const media: Array<[string, any]> = [];
      for (const [type, mediaType] of Object.entries(operation.requestBody?.content ?? {})) media.push([`${at}/requestBody/content/${type.replace("/", "~1")}`, mediaType]);
      for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
        for (const [type, mediaType] of Object.entries(response.content ?? {})) media.push([`${at}/responses/${status}/content/${type.replace("/", "~1")}`, mediaType]);
      }
      for (const [pointer, mediaType] of media) {
        const where = `${method} ${path} ${pointer.split("/").slice(-3).join("/")}`;
        const own = [
          ...(mediaType.example !== undefined ? [mediaType.example] : []),
          ...Object.values(mediaType.examples ?? {}).map((example: any) => example.value),
        ];
        const schema = resolve(mediaType.schema);
        const values = own.length > 0 ? own : schema.example !== undefined ? [schema.example] : [];
        expect(values.length, `${where} has an example`).toBeGreaterThan(0);
        for (const value of values) examples.push({ where, pointer: `${pointer}/schema`, value });
      }
    }
    for (const { where, pointer, value } of examples) expect(await validator.checkValue(pointer, value), where).toEqual([]);
  }, 120_000); // a few hundred examples through the JSON Schema validator: ~17 s alone, twice that on two busy cores

  it("publishes a name pattern that accepts names and refuses control characters, as the server does", async () => {
    const pointer = "#/components/schemas/RegisterRequest/properties/name";
    expect(doc.components.schemas.RegisterRequest.properties.name.pattern).not.toContain("/u");
    expect(await validator.checkValue(pointer, "Ada")).toEqual([]);
    expect(await validator.checkValue(pointer, "Zoë 😀")).toEqual([]);
    expect(await validator.checkValue(pointer, "Ada\u0000")).not.toEqual([]);
    expect(await validator.checkValue(pointer, "Ada\u0085")).not.toEqual([]);
    const accepted = await exchange("POST", "/register", { json: { email: uniqueEmail("ada"), password: PASSWORD, name: "Ada" } });
    expect(accepted.status).toBe(201);
    for (const name of ["Ada\u0007", "Ada\u009f", "Ada\ud800"]) {
      const refused = await exchange("POST", "/register", { json: { email: uniqueEmail("ada"), password: PASSWORD, name } });
      expect(refused.status, JSON.stringify(name)).toBe(400);
    }
  });

  it("refuses answers that differ from the document, so that a passing check means something", async () => {
    const user = (await client.request("POST", "/register", { json: { email: uniqueEmail("drift"), password: PASSWORD } })).body;
    const answer = (status: number, body: unknown, headers: Record<string, string>) => {
      const text = body === undefined ? "" : JSON.stringify(body);
      return { status, headers: new Headers(headers), body, text };
    };
    const json = { "content-type": "application/json", "x-request-id": "r1", "cache-control": "no-store", pragma: "no-cache" };
    expect(await validator.check("GET", "/me", answer(200, user, json))).toEqual([]);
    const { email_verified: _dropped, ...withoutField } = user;
    expect(await validator.check("GET", "/me", answer(200, withoutField, json))).not.toEqual([]);
    expect(await validator.check("GET", "/me", answer(200, { ...user, created_at: "yesterday" }, json))).not.toEqual([]);
    expect(await validator.check("GET", "/me", answer(200, user, { ...json, "x-request-id": "" }))).not.toEqual([]);
    expect(await validator.check("GET", "/me", answer(200, user, { ...json, "retry-after": "1" }))).not.toEqual([]);
    expect(await validator.check("GET", "/me", answer(418, user, json))).not.toEqual([]);
    const problem = { type: `${ISSUER}/problems/invalid-token`, title: PROBLEMS.INVALID_TOKEN.title, status: 401, code: "INVALID_TOKEN" };
    const problemHeaders = { ...json, "content-type": "application/problem+json" };
    expect(await validator.check("GET", "/me", answer(401, problem, { ...problemHeaders, "www-authenticate": 'Bearer realm="auth-service"' }))).toEqual([]);
    expect(await validator.check("GET", "/me", answer(401, problem, problemHeaders))).not.toEqual([]);
    expect(await validator.check("GET", "/me", answer(401, { ...problem, code: "NO_SUCH_CODE" }, { ...problemHeaders, "www-authenticate": "Bearer" }))).not.toEqual([]);
  });

  it("gives Problem.code as the registry's codes, and the type URI as a URI", () => {
    const { code, type } = doc.components.schemas.Problem.properties;
    expect(code.enum).toEqual(Object.keys(PROBLEMS));
    expect(type.format).toBe("uri");
  });

  it("publishes the login answer as oneOf, so that a value with both shapes is refused", async () => {
    const pointer = "#/components/schemas/LoginResponse";
    expect(doc.components.schemas.LoginResponse.oneOf).toHaveLength(2);
    const examples = doc.paths["/login"].post.responses["200"].content["application/json"].examples;
    const [tokens, mfa] = [examples.tokens.value, examples.mfa.value];
    expect(await validator.checkValue(pointer, tokens)).toEqual([]);
    expect(await validator.checkValue(pointer, mfa)).toEqual([]);
    expect(await validator.checkValue(pointer, { ...tokens, ...mfa })).not.toEqual([]);
  });

  it("keeps /logout's scope optional in the request body, though it has a default", () => {
    const schema = doc.paths["/logout"].post.requestBody.content["application/json"].schema;
    expect(schema.$ref).toBeUndefined();
    expect(schema.required).toEqual(["refresh_token"]);
    expect(schema.properties.scope.default).toBe("session");
  });

  it("describes the answers of the account flow: register, login, me, sessions, events, refresh, logout", async () => {
    const email = uniqueEmail("doc");
    expect((await exchange("POST", "/register", { json: { email, password: PASSWORD, name: "Ada Lovelace" } })).status).toBe(201);
    const pair = await exchange("POST", "/login", { json: { email, password: PASSWORD } });
    expect(pair.status).toBe(200);
    expect(pair.headers.get("ratelimit-policy")).toContain('"login"');
    const { access_token: token, refresh_token: refreshToken } = pair.body;
    expect((await exchange("GET", "/me", { token })).status).toBe(200);
    expect((await exchange("PATCH", "/me", { token, json: { name: null } })).status).toBe(200);
    expect((await exchange("GET", "/sessions", { token })).status).toBe(200);
    expect((await exchange("GET", "/me/events?limit=5", { token })).status).toBe(200);
    const refreshed = await exchange("POST", "/refresh", { json: { refresh_token: refreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await exchange("POST", "/logout", { json: { refresh_token: refreshed.body.refresh_token, scope: "all" } })).status).toBe(204);
    expect((await exchange("POST", "/logout", { json: { refresh_token: refreshed.body.refresh_token } })).status).toBe(204);
  });

  it("describes the problems: 400, 401 with its challenge, 403, 404, 409, 413, 415", async () => {
    const { email, tokens } = await signedIn("doc-problems");
    expect((await exchange("POST", "/register", { json: { email: "not an address", password: PASSWORD } })).status).toBe(400);
    expect((await exchange("POST", "/login", { body: "{not json", headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await exchange("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(409);
    expect((await exchange("POST", "/login", { body: "email=a", headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(415);
    const tooLarge = await exchange("POST", "/register", { body: JSON.stringify({ email, password: "x".repeat(20_000) }), headers: { "content-type": "application/json" } });
    expect(tooLarge.status).toBe(413);

    const noToken = await exchange("GET", "/me");
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("www-authenticate")).toBe('Bearer realm="auth-service"');
    const badToken = await exchange("GET", "/me", { token: "not-a-token" });
    expect(badToken.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect((await exchange("POST", "/login", { json: { email, password: "not the password" } })).status).toBe(401);
    expect((await exchange("POST", "/refresh", { json: { refresh_token: "not-a-refresh-token" } })).status).toBe(401);

    expect((await exchange("DELETE", "/me", { token: tokens.access_token, json: { password: "not the password" } })).status).toBe(403);
    const notAdmin = await exchange("GET", "/admin/users", { token: tokens.access_token });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect((await exchange("DELETE", `/sessions/${crypto.randomUUID()}`, { token: tokens.access_token })).status).toBe(404);
    expect((await exchange("GET", "/problems/no-such-problem")).status).toBe(404);
  });

  it("describes the admin API's answers", async () => {
    const { user, email } = await signedIn("doc-admin");
    await testApp.deps.users.update(user.id, { roles: ["user", "admin"] });
    const { access_token: token } = await login(email);
    const target = (await signedIn("doc-target")).user;
    expect((await exchange("GET", "/admin/users?limit=2", { token })).status).toBe(200);
    expect((await exchange("GET", `/admin/users/${target.id}`, { token })).status).toBe(200);
    expect((await exchange("PATCH", `/admin/users/${target.id}`, { token, json: { disabled: true } })).status).toBe(200);
    expect((await exchange("DELETE", `/admin/users/${target.id}/sessions`, { token })).status).toBe(204);
    expect((await exchange("GET", "/admin/users/not-a-uuid", { token })).status).toBe(400);
  });

  it("describes the public documents: keys, metadata, problem types, health", async () => {
    const jwks = await exchange("GET", "/.well-known/jwks.json");
    expect(jwks.headers.get("cache-control")).toBe("public, max-age=300");
    expect((await exchange("GET", "/.well-known/oauth-authorization-server")).status).toBe(200);
    expect((await exchange("GET", "/problems/rate-limited")).headers.get("content-type")).toMatch(/^text\/html/);
    expect((await exchange("GET", "/problems/rate-limited", { headers: { accept: "application/json" } })).body.code).toBe("RATE_LIMITED");
    expect((await exchange("GET", "/problems", { headers: { accept: "application/json" } })).status).toBe(200);
    expect((await exchange("GET", "/healthz")).status).toBe(200);
    expect((await exchange("GET", "/readyz")).status).toBe(200);
    expect((await exchange("GET", "/metrics")).status).toBe(200);
  });
});

describe("the OpenAPI document on a rate-limited route", () => {
  let testApp: TestApp;
  let validator: OpenApiValidator;
  beforeAll(async () => {
    testApp = await createTestApp({ env: { ...GENEROUS_LIMITS_ENV, RATE_LIMIT_REGISTER: "1/1h" } });
    validator = await createOpenApiValidator((await (await testApp.app.request("/doc")).json()) as Record<string, unknown>);
  });
  afterAll(async () => {
    validator.close();
    await testApp.cleanup();
  });

  it("describes the 429 and its Retry-After and RateLimit headers", async () => {
    const client = inProcessClient(testApp.app);
    const first = await client.request("POST", "/register", { json: { email: uniqueEmail("limited"), password: PASSWORD } });
    expect(first.status).toBe(201);
    expect(await validator.check("POST", "/register", first)).toEqual([]);
    const refused = await client.request("POST", "/register", { json: { email: uniqueEmail("limited"), password: PASSWORD } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(refused.headers.get("ratelimit")).toMatch(/^"register";r=0;t=\d+$/);
    expect(await validator.check("POST", "/register", refused)).toEqual([]);
  });
});
