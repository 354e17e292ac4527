import { createRouter } from "../create-router.js";
import * as handlers from "./mfa.handlers.js";
import * as routes from "./mfa.routes.js";

export function createMfaRouter() {
  return createRouter()
    .openapi(routes.getMfa, handlers.getMfa)
    .openapi(routes.beginTotp, handlers.beginTotp)
    .openapi(routes.confirmTotp, handlers.confirmTotp)
    .openapi(routes.disableTotp, handlers.disableTotp)
    .openapi(routes.regenerateRecoveryCodes, handlers.regenerateRecoveryCodes);
}
