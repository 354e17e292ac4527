import { createRouter } from "../create-router.js";
import * as handlers from "./passkeys.handlers.js";
import * as routes from "./passkeys.routes.js";

export function createPasskeysRouter() {
  return createRouter()
    .openapi(routes.registrationOptions, handlers.registrationOptions)
    .openapi(routes.registerPasskey, handlers.registerPasskey)
    .openapi(routes.listPasskeys, handlers.listPasskeys)
    .openapi(routes.removePasskey, handlers.removePasskey)
    .openapi(routes.loginOptions, handlers.loginOptions)
    .openapi(routes.loginWithPasskey, handlers.loginWithPasskey)
    .openapi(routes.mfaPasskeyOptions, handlers.mfaPasskeyOptions);
}
