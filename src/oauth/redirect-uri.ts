/**
 * Redirect URI matching: exact string comparison (OAuth 2.1 §2.3.1, RFC 9700 §4.1.3: no prefix,
 * no pattern), with the one exception RFC 8252 §7.3 makes for native apps: a loopback IP redirect
 * URI matches with any port, because the app binds whatever port is free at the time.
 */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]"]);

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
}

export function redirectUriMatches(registered: readonly string[], presented: string): boolean {
  if (registered.includes(presented)) return true;
  if (!URL.canParse(presented)) return false;
  const candidate = new URL(presented);
  // Stryker disable next-line ConditionalExpression: like the entry's check below, implied by the href comparison (an entry that is loopback http cannot equal a candidate that is not).
  if (!isLoopbackHttp(candidate)) return false;
  return registered.some((entry) => {
    if (!URL.canParse(entry)) return false;
    const allowed = new URL(entry);
    // Stryker disable next-line ConditionalExpression: the href comparison below also refuses a non-loopback entry (scheme or host differ); kept as the stated rule.
    if (!isLoopbackHttp(allowed)) return false;
    // Everything but the port must be identical, the way it was registered.
    allowed.port = candidate.port;
    return allowed.href === candidate.href && presented === candidate.href;
  });
}

/** `uri` with `parameters` added to its query (RFC 6749 §4.1.2: the client's own query is kept). */
export function withQuery(uri: string, parameters: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}
