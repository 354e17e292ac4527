import type { User } from "../users/store.js";

/** OIDC Core §5.4: the claims each scope releases (the same for the ID token and userinfo). */
export function userClaims(user: User, scopes: readonly string[]): Record<string, unknown> {
  return {
    ...(scopes.includes("profile") && { name: user.name, updated_at: Math.floor(user.updatedAt.getTime() / 1000) }),
    ...(scopes.includes("email") && { email: user.email, email_verified: user.emailVerified }),
  };
}
