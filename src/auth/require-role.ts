import type { MiddlewareHandler } from "hono";
import type { AuthenticatedEnv } from "../deps.js";
import { bearerChallenge, ProblemError } from "../http/problem.js";

export interface RequireRoleOptions {
  /** The caller must hold at least one of these roles. */
  anyOf: string[];
}

/**
 * Runs after requireAuth. Roles come from the user row requireAuth read for this very request
 * (`c.var.user`), never from the token's `roles` claim: a role removed by an admin or the CLI is
 * refused on the caller's next request, on every instance, although the token still carries it
 * until it expires. (Services that verify our tokens offline only see the claim; docs/API.md says so.)
 */
export function requireRole(options: RequireRoleOptions): MiddlewareHandler<AuthenticatedEnv> {
  if (options.anyOf.length === 0) throw new Error("requireRole needs at least one role");
  const roles = [...options.anyOf];
  return async function requireRole(c, next) {
    const granted = c.var.user?.roles ?? [];
    if (!roles.some((role) => granted.includes(role))) {
      throw new ProblemError("INSUFFICIENT_ROLE", {
        detail: `This operation needs the role ${roles.map((role) => `"${role}"`).join(" or ")}.`,
        headers: { "www-authenticate": bearerChallenge("insufficient_scope", { scope: roles.join(" ") }) },
      });
    }
    await next();
  };
}
