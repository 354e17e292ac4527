import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requireRole } from "../../src/auth/require-role.js";
import type { AuthenticatedEnv } from "../../src/deps.js";
import { ProblemError, renderProblem } from "../../src/http/problem.js";

/**
 * requireRole on its own, behind a stand-in for requireAuth that puts a user with given roles on
 * the request (the admin suite covers it behind the real requireAuth): which callers it lets
 * through, and the exact 403 a refused one gets (issue 18: 9 of its 25 mutants survived).
 */
function appWith(roles: string[] | null, anyOf = ["admin", "support"]) {
  const app = new Hono<AuthenticatedEnv>();
  app.onError((error, c) => (error instanceof ProblemError ? renderProblem(c, error, { issuer: "https://auth.test" }) : c.text("bug", 500)));
  app.use(async (c, next) => {
    if (roles) c.set("user", { id: "u1", roles } as unknown as AuthenticatedEnv["Variables"]["user"]);
    await next();
  });
  app.get("/guarded", requireRole({ anyOf }), (c) => c.text("through"));
  return app;
}

describe("requireRole", () => {
  it("lets through a caller holding any one of the roles, not only all of them", async () => {
    for (const roles of [["admin"], ["support"], ["reader", "support"], ["admin", "support"]]) {
      const response = await appWith(roles).request("/guarded");
      expect(response.status, roles.join(",")).toBe(200);
      expect(await response.text()).toBe("through");
    }
  });

  it("refuses a caller with none of them: 403 INSUFFICIENT_ROLE naming the roles, with an insufficient_scope challenge", async () => {
    for (const roles of [[], ["reader"], ["Admin"], ["admin support"]]) {
      const response = await appWith(roles).request("/guarded");
      expect(response.status, roles.join(",")).toBe(403);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ status: 403, code: "INSUFFICIENT_ROLE", detail: 'This operation needs the role "admin" or "support".' });
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="auth-service", error="insufficient_scope", scope="admin support"');
    }
  });

  it("refuses, with the same 403 and not a 500, a request that reached it without a user", async () => {
    const response = await appWith(null, ["admin"]).request("/guarded");
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "INSUFFICIENT_ROLE", detail: 'This operation needs the role "admin".' });
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="auth-service", error="insufficient_scope", scope="admin"');
  });

  it("cannot be made to guard with no role at all", () => {
    expect(() => requireRole({ anyOf: [] })).toThrow("requireRole needs at least one role");
  });

  it("keeps its own copy of the roles: changing the array it was given later widens nothing", async () => {
    const anyOf = ["admin"];
    const app = appWith(["reader"], anyOf);
    anyOf.push("reader");
    expect((await app.request("/guarded")).status).toBe(403);
  });
});
