/**
 * Whether an error means a dependency (PostgreSQL, Redis) is unreachable, as opposed to a bug.
 * Such errors become a 503 problem. Drivers wrap errors (drizzle's DrizzleQueryError), so the whole
 * `cause` chain is searched.
 */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  // postgres.js
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  // PostgreSQL SQLSTATEs: admin shutdown, crash shutdown, cannot connect now, too many connections
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

const REDIS_UNAVAILABLE_MESSAGES = [
  "Connection is closed",
  "Stream isn't writeable",
  "Reached the max retries per request limit",
  "Command timed out",
  "CLUSTERDOWN",
  // ioredis Cluster, with the offline queue off, while no node answers
  "Cluster isn't ready",
  "None of startup nodes is available",
  "Failed to refresh slots cache",
];

export function isDependencyOutage(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    if (current.name === "MaxRetriesPerRequestError") return true;
    if (REDIS_UNAVAILABLE_MESSAGES.some((message) => current instanceof Error && current.message.includes(message))) {
      return true;
    }
    current = current.cause;
  }
  return false;
}
