/** What the consent page says a scope lets the client do, in words a user reads. */
export const scopeDescriptions: Readonly<Record<string, string>> = {
  openid: "Confirm who you are (sign you in with your account)",
  profile: "See your basic profile (your name)",
  email: "See your email address and whether it is verified",
  offline_access: "Stay connected while you are away (keep access until you revoke it)",
};

/** The text for one scope: a known one's description, or a plain sentence naming a custom one. */
export function describeScope(scope: string): string {
  return Object.hasOwn(scopeDescriptions, scope) ? scopeDescriptions[scope]! : `Use the permission "${scope}"`;
}

/** The `{ name, description }` list ConsentPage takes, for the scopes of a request. */
export function describeScopes(scopes: readonly string[]): { name: string; description: string }[] {
  return scopes.map((name) => ({ name, description: describeScope(name) }));
}
