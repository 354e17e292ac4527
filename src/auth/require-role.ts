import type { MiddlewareHandler } from "hono";
import type { AuthenticatedEnv } from "../deps.js";
import { bearerChallenge, ProblemError } from "../http/problem.js";

export interface RequireRoleOptions {
  /** The token must carry at least one of these roles. */
  anyOf: string[];
}

/**
 * Runs after requireAuth. Roles come from the token's `roles` claim, so a role change takes effect
 * with the user's next token (at most ACCESS_TOKEN_TTL later); disabling an account is immediate
 * because it ends the sessions, which requireAuth checks.
 */
export function requireRole(options: RequireRoleOptions): MiddlewareHandler<AuthenticatedEnv> {
  if (options.anyOf.length === 0) throw new Error("requireRole needs at least one role");
  const roles = [...options.anyOf];
  return async function requireRole(c, next) {
    const granted = c.var.auth?.roles ?? [];
    if (!roles.some((role) => granted.includes(role))) {
      throw new ProblemError("INSUFFICIENT_ROLE", {
        detail: `This operation needs the role ${roles.map((role) => `"${role}"`).join(" or ")}.`,
        headers: { "www-authenticate": bearerChallenge("insufficient_scope", { scope: roles.join(" ") }) },
      });
    }
    await next();
  };
}
