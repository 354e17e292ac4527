import { OAuthError } from "../../oauth/index.js";
import { routerOf } from "../create-router.js";
import * as handlers from "./oauth.handlers.js";
import * as routes from "./oauth.routes.js";

/** The OAuth endpoints answer a bad form with RFC 6749's invalid_request, not with a problem. */
function oauthValidationHook(result: { success: boolean }): void {
  if (!result.success) throw new OAuthError("invalid_request", "the form is malformed (a parameter repeated, or too long)");
}

export function createOAuthRouter() {
  return routerOf(routes, handlers, oauthValidationHook);
}
