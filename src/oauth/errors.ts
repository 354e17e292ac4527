/**
 * The errors of the OAuth endpoints. RFC 6749 §5.2 (token endpoint), RFC 7009, RFC 7662, RFC 6750
 * §3.1 and OIDC Core §3.1.2.6 fix their shape: a JSON object with `error` (one of these codes) and
 * `error_description`, or the same two as query parameters of a redirect. Relying-party libraries
 * read exactly these members, so the OAuth endpoints answer with them rather than with an RFC 9457
 * problem (the rest of the API keeps its problems).
 */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "invalid_target"
  | "access_denied"
  | "login_required"
  | "consent_required"
  | "interaction_required"
  | "invalid_token"
  | "insufficient_scope"
  | "server_error"
  | "temporarily_unavailable";

export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    /** Human-readable, for the client developer (`error_description`): never a secret, never a driver message. */
    readonly description: string,
    /** The HTTP status where the error is answered directly (401 for invalid_client, RFC 6749 §5.2). */
    readonly status: 400 | 401 | 403 | 503 = code === "invalid_client" || code === "invalid_token" ? 401 : 400,
  ) {
    super(`${code}: ${description}`);
    this.name = "OAuthError";
  }
}
