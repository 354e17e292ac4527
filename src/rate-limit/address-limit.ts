import { MemoryStore, type Store } from "hono-rate-limiter";
import type { RateLimitRule } from "../config.js";
import { ProblemError } from "../http/problem.js";
import { toBase64Url } from "../lib/encoding.js";
import { tooManyRequestsHeaders } from "./headers.js";

/**
 * A limit per recipient address, whoever asks and from wherever: past `rule.limit` messages to one
 * address in a window, the request is refused with 429 (so no one can make the service mail an
 * address more than a few times an hour). Each address has its own counter, so one address's
 * budget never starves another's. The counter is keyed by the SHA-256 of the normalised address,
 * so Redis holds no addresses. It counts whether or not the address has an account: a 429 tells
 * nothing about existence. The counters are the same stores as the per-IP limits (Redis, shared
 * by every instance, else in process); a store that does not answer gives a 503 (closed).
 */
export interface AddressRateLimit {
  /** Counts one message to `email`; throws a 429 ProblemError (with Retry-After and RateLimit headers) past the limit. */
  hit(email: string): Promise<void>;
}

export interface AddressRateLimitOptions {
  /** The policy's name in the RateLimit headers. */
  name: string;
  rule: RateLimitRule | null;
  /** Absent: hono-rate-limiter's MemoryStore (one process). */
  store?: Store;
}

export async function addressBucket(email: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(email.trim().toLowerCase()));
  return toBase64Url(new Uint8Array(digest));
}

export function createAddressRateLimit(options: AddressRateLimitOptions): AddressRateLimit {
  const { rule, name } = options;
  if (!rule) return { hit: async () => {} };
  const store = options.store ?? new MemoryStore();
  // The stores read only windowMs from hono-rate-limiter's config.
  store.init?.({ windowMs: rule.windowSeconds * 1000 } as Parameters<NonNullable<Store["init"]>>[0]);
  return {
    async hit(email) {
      const { totalHits, resetTime } = await store.increment(await addressBucket(email));
      if (totalHits <= rule.limit) return;
      const retryAfter = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : rule.windowSeconds;
      throw new ProblemError("RATE_LIMITED", {
        detail: "Too many messages to this address; retry after the time in Retry-After.",
        headers: tooManyRequestsHeaders(name, rule.limit, rule.windowSeconds, retryAfter),
      });
    },
  };
}
