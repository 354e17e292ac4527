import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../security/support.js";
import { flows, PASSWORD, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, type TestApp, type TestClient } from "../helpers/test-app.js";

/** The password policy (src/password/policy.ts) as a client meets it on register and on a password change. */
describe("new-password rules at the API", () => {
  let testApp: TestApp;
  let client: TestClient;
  const { signedIn, login } = flows(() => client);

  beforeAll(async () => {
    testApp = await createTestApp();
    client = inProcessClient(testApp.app);
  });
  afterAll(() => testApp.cleanup());

  it.each([
    ["password", "PASSWORD_TOO_COMMON"],
    ["12345678", "PASSWORD_TOO_COMMON"],
    ["\u200b".repeat(20), "PASSWORD_MOSTLY_INVISIBLE"],
    ["aaaaaaaaaaaa", "PASSWORD_TOO_REPETITIVE"],
  ])("register refuses %j with a 400 naming the rule %s, and creates no account", async (password, code) => {
    const email = uniqueEmail("weak");
    const refused = await client.request("POST", "/register", { json: { email, password } });
    expectProblem(refused, 400, code);
    // The password is never echoed back as a value.
    expect(refused.text).not.toContain(JSON.stringify(password));
    // Nothing was created: the address is still free.
    expect((await client.request("POST", "/register", { json: { email, password: PASSWORD } })).status).toBe(201);
  });

  it("a password change to a common password is refused before the current password is checked, and changes nothing", async () => {
    const { email, tokens } = await signedIn("change-weak");
    const refused = await client.request("POST", "/me/password", {
      token: tokens.access_token,
      json: { current_password: "not even the right one", new_password: "iloveyou123" },
    });
    expectProblem(refused, 400, "PASSWORD_TOO_COMMON");
    expect((await login(email)).access_token).toEqual(expect.any(String));
  });

  it("login never applies the rules, so an old account with a now-refused password still signs in", async () => {
    const email = uniqueEmail("legacy");
    const { users } = testApp.deps;
    const user = await users.create({ id: crypto.randomUUID(), email, name: null, passwordHash: await testApp.deps.hasher.hash("password") });
    expect(user).not.toBeNull();
    expect((await client.request("POST", "/login", { json: { email, password: "password" } })).status).toBe(200);
  });
});

describe("PASSWORD_MIN_LENGTH", () => {
  let testApp: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    testApp = await createTestApp({ env: { PASSWORD_MIN_LENGTH: "15" } });
    client = inProcessClient(testApp.app);
  });
  afterAll(() => testApp.cleanup());

  it("refuses a 14-code-point password and accepts a 15-code-point one", async () => {
    const short = await client.request("POST", "/register", { json: { email: uniqueEmail("min"), password: "vq7-hrz-kw4-mp9".slice(0, 14) } });
    expectProblem(short, 400, "PASSWORD_TOO_SHORT");
    const enough = await client.request("POST", "/register", { json: { email: uniqueEmail("min"), password: "vq7-hrz-kw4-mp9" } });
    expect(enough.status).toBe(201);
  });
});
