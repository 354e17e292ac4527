import type { Context } from "hono";
import type { AppEnv } from "../../deps.js";
import { bearerChallenge } from "../../http/problem.js";
import type { OAuthError } from "../../oauth/index.js";

/**
 * An OAuthError as RFC 6749 §5.2 answers it: JSON `{ error, error_description }`, never cached,
 * with the challenge the status calls for: `Basic` on an invalid_client when the client tried
 * HTTP Basic (§5.2 "MUST"), RFC 6750's Bearer challenge on invalid_token and insufficient_scope.
 * Answered through the context, like every error of the app, so X-Request-Id and CORS stay.
 */
export function renderOAuthError(c: Context<AppEnv>, error: OAuthError): Response {
  if (error.code === "invalid_client" && c.req.header("authorization")?.toLowerCase().startsWith("basic ")) {
    c.header("www-authenticate", 'Basic realm="oauth", charset="UTF-8"');
  }
  if (error.code === "invalid_token" || error.code === "insufficient_scope") {
    c.header("www-authenticate", bearerChallenge(error.code));
  }
  c.header("cache-control", "no-store");
  return c.json({ error: error.code, error_description: error.description }, error.status);
}
