import type { Context } from "hono";
import { forwardedClientIp } from "../lib/ip-address.js";

/**
 * The client's address, canonical (src/lib/ip-address.ts). `X-Forwarded-For` is believed only as
 * far as `trustedHops` proxies that we run ourselves: each appends the address it received the
 * request from, so with N trusted hops the client is the N-th entry from the right. With 0 (the
 * default) the header is ignored entirely, so a client cannot choose its own address (and with it,
 * its rate-limit bucket).
 */
export function clientIp(c: Context, remoteAddress: string | undefined, trustedHops: number): string | undefined {
  return forwardedClientIp(c.req.header("x-forwarded-for"), remoteAddress, trustedHops);
}
