import type { Context } from "hono";

const MAX_FORWARDED_LENGTH = 2048;

/**
 * The client's address. `X-Forwarded-For` is believed only as far as `trustedHops` proxies that we
 * run ourselves: each appends the address it received the request from, so with N trusted hops the
 * client is the N-th entry from the right. With 0 (the default) the header is ignored entirely, so a
 * client cannot choose its own address (and with it, its rate-limit bucket).
 */
export function clientIp(c: Context, remoteAddress: string | undefined, trustedHops: number): string | undefined {
  if (trustedHops === 0) return remoteAddress;
  const header = c.req.header("x-forwarded-for");
  if (!header || header.length > MAX_FORWARDED_LENGTH) return remoteAddress;
  const entries = header.split(",").map((entry) => entry.trim());
  const candidate = entries[entries.length - trustedHops];
  return candidate && isIpAddress(candidate) ? candidate : remoteAddress;
}

function isIpAddress(value: string): boolean {
  if (/^(\d{1,3})(\.\d{1,3}){3}$/.test(value)) return value.split(".").every((part) => Number(part) <= 255);
  return value.length <= 45 && /^[0-9a-fA-F:.]+$/.test(value) && value.includes(":");
}
