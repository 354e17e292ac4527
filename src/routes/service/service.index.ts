import { createRouter } from "../create-router.js";
import * as handlers from "./service.handlers.js";
import * as routes from "./service.routes.js";

export function createServiceRouter() {
  return createRouter()
    .openapi(routes.healthz, handlers.healthz)
    .openapi(routes.readyz, handlers.readyz)
    .openapi(routes.jwks, handlers.jwks)
    .openapi(routes.authorizationServerMetadata, handlers.authorizationServerMetadata);
}
