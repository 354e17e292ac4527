import type { User } from "../users/store.js";

/** The user's claims the provider releases (OIDC Core §5.1), beyond `sub`. */
export interface ScopedClaims {
  name?: string | null;
  updated_at?: number;
  email?: string;
  email_verified?: boolean;
}

export type UserInfo = { sub: string } & ScopedClaims;

/** OIDC Core §5.4: the claims each scope releases (the same for the ID token and userinfo). */
export function userClaims(user: User, scopes: readonly string[]): ScopedClaims {
  return {
    ...(scopes.includes("profile") && { name: user.name, updated_at: Math.floor(user.updatedAt.getTime() / 1000) }),
    ...(scopes.includes("email") && { email: user.email, email_verified: user.emailVerified }),
  };
}
