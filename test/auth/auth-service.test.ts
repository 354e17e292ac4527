import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArgon2idHasher, OWASP_ARGON2ID_PARAMS, parseArgon2idPhc, type PasswordHasher } from "../../src/password/hasher.js";
import { users } from "../../src/db/schema.js";
import { createTestApp, FAST_ARGON2_PARAMS, inProcessClient, type TestApp } from "../helpers/test-app.js";
import { PASSWORD } from "../helpers/flows.js";

/**
 * Counts calls through to a real hasher, and keeps what it was given to verify and what it made:
 * how much Argon2 work each request costs, and against which hash. `log` gets "verified" when a
 * verification has run to its end (the test adds when the answer came).
 */
function countingHasher(inner: PasswordHasher) {
  const counts = { hash: 0, verify: 0 };
  const made = new Set<string>();
  const verified: unknown[] = [];
  const log: string[] = [];
  const hasher: PasswordHasher = {
    hash: async (password) => {
      counts.hash++;
      const hash = await inner.hash(password);
      made.add(hash);
      return hash;
    },
    verify: async (hash, password) => {
      counts.verify++;
      verified.push(hash);
      const result = await inner.verify(hash, password);
      log.push("verified");
      return result;
    },
    close: () => inner.close(),
  };
  return { hasher, counts, made, verified, log };
}

describe("password handling at login (embedded PGlite)", () => {
  const { hasher, counts, made, verified, log } = countingHasher(createArgon2idHasher(OWASP_ARGON2ID_PARAMS));
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ hasher });
  });
  afterAll(() => testApp.cleanup());

  const post = (path: string, json: unknown) => inProcessClient(testApp.app).request("POST", path, { json });

  it("stores an Argon2id PHC string at no less than the OWASP parameters, never the password", async () => {
    const email = "stored@example.com";
    await post("/register", { email, password: PASSWORD });
    const [row] = await testApp.database.db.select().from(users).where(eq(users.email, email));
    const phc = parseArgon2idPhc(row!.passwordHash);
    expect(phc).toMatchObject({ memorySize: 19456, iterations: 2, parallelism: 1 });
    expect(row!.passwordHash).not.toContain(PASSWORD);
  });

  it("costs exactly one Argon2 verification for an unknown email, as for a wrong password", async () => {
    await post("/register", { email: "known@example.com", password: PASSWORD });
    await post("/login", { email: "ghost@example.com", password: PASSWORD }); // makes the dummy hash once
    counts.verify = 0;
    counts.hash = 0;
    expect((await post("/login", { email: "ghost@example.com", password: PASSWORD })).status).toBe(401);
    expect(counts).toEqual({ hash: 0, verify: 1 });
    expect((await post("/login", { email: "known@example.com", password: "wrong password" })).status).toBe(401);
    expect(counts).toEqual({ hash: 0, verify: 2 });
  });

  it("verifies an unknown email against a real Argon2id hash at the configured cost, made by the hasher itself", async () => {
    verified.length = 0;
    expect((await post("/login", { email: "nobody@example.com", password: PASSWORD })).status).toBe(401);
    expect(verified).toHaveLength(1);
    const dummy = verified[0];
    // A PHC string of the real parameters, not an empty, malformed or cheap one that returns at once...
    expect(typeof dummy).toBe("string");
    expect(parseArgon2idPhc(dummy as string)).toMatchObject({ memorySize: 19456, iterations: 2, parallelism: 1 });
    // ...made by this hasher (so it is a real hash of real work, not a constant), and reused next time.
    expect(made.has(dummy as string)).toBe(true);
    expect((await post("/login", { email: "nobody-else@example.com", password: PASSWORD })).status).toBe(401);
    expect(verified[1]).toBe(dummy);
    // A real hash whose password no one knows: it never matches the password presented.
    expect((await hasher.verify(dummy as string, PASSWORD)).valid).toBe(false);
  });

  it("answers an unknown email only after its Argon2 verification has run to the end, as a wrong password does", async () => {
    // Started and left running, the dummy verification would cost the server its work but the
    // client no wait: the answer would come at once for an unknown address, an enumeration oracle.
    // The order is what is asserted, not how long anything took.
    await post("/register", { email: "waits@example.com", password: PASSWORD });
    for (const email of ["waits-ghost@example.com", "waits@example.com"]) {
      log.length = 0;
      const response = await post("/login", { email, password: email === "waits@example.com" ? "wrong password" : PASSWORD });
      log.push("answered");
      expect(response.status).toBe(401);
      expect(log).toEqual(["verified", "answered"]);
    }
  });

  it("upgrades a hash made with weaker parameters at the next successful login", async () => {
    const email = "legacy@example.com";
    await post("/register", { email, password: "placeholder-password" });
    const weak = await createArgon2idHasher(FAST_ARGON2_PARAMS).hash(PASSWORD);
    await testApp.database.db.update(users).set({ passwordHash: weak }).where(eq(users.email, email));

    expect((await post("/login", { email, password: "wrong password" })).status).toBe(401);
    let [row] = await testApp.database.db.select().from(users).where(eq(users.email, email));
    expect(row!.passwordHash).toBe(weak);

    expect((await post("/login", { email, password: PASSWORD })).status).toBe(200);
    [row] = await testApp.database.db.select().from(users).where(eq(users.email, email));
    expect(parseArgon2idPhc(row!.passwordHash)).toMatchObject({ memorySize: 19456, iterations: 2 });
    expect((await post("/login", { email, password: PASSWORD })).status).toBe(200);
  });

  it("normalises Unicode (NFKC) so composed and decomposed forms of a password match", async () => {
    const email = "unicode@example.com";
    await post("/register", { email, password: "caf\u00e9-password" });
    expect((await post("/login", { email, password: "cafe\u0301-password" })).status).toBe(200);
  });
});
