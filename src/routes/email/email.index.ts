import { createRouter } from "../create-router.js";
import * as handlers from "./email.handlers.js";
import * as routes from "./email.routes.js";

export function createEmailRouter() {
  return createRouter()
    .openapi(routes.requestVerification, handlers.requestVerification)
    .openapi(routes.verifyEmail, handlers.verifyEmail)
    .openapi(routes.forgotPassword, handlers.forgotPassword)
    .openapi(routes.resetPassword, handlers.resetPassword)
    .openapi(routes.changeEmail, handlers.changeEmail);
}
