import type { MiddlewareHandler } from "hono";

/**
 * `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0 caches) on every answer that does
 * not choose its own caching: users, sessions, events, tokens and problems must never be kept by a
 * browser, a proxy or a CDN (RFC 9111 §5.2.2.5; RFC 6749 §5.1 for token answers). One place instead
 * of one call per handler, so a new personal route cannot forget it; the public documents that may
 * be cached (the JWKS, the Swagger UI's assets) set their own Cache-Control and keep it.
 */
export function noStoreByDefault(): MiddlewareHandler {
  return async function noStoreByDefault(c, next) {
    await next();
    if (c.res.headers.has("cache-control")) return;
    c.res.headers.set("cache-control", "no-store");
    c.res.headers.set("pragma", "no-cache");
  };
}
