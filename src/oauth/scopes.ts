/** The scopes the provider itself gives meaning to (OIDC Core §5.4 and §11). Clients may be registered with others (APIs' own). */
export const OIDC_SCOPES = ["openid", "profile", "email", "offline_access"] as const;

/** RFC 6749 §3.3: a space-delimited list of scope tokens. Order kept, duplicates dropped; null when malformed. */
export function parseScope(scope: string | undefined): string[] | null {
  if (scope === undefined) return [];
  const tokens = scope.split(" ").filter((token) => token !== "");
  if (!tokens.every((token) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(token))) return null;
  return [...new Set(tokens)];
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(" ");
}
