import type { AppRouteHandler } from "../create-router.js";
import type {
  healthz as HealthzRoute,
  jwks as JwksRoute,
  readyz as ReadyzRoute,
} from "./service.routes.js";

/** Seconds any cache may keep the public documents (JWKS, metadata): a rotated key shows within minutes. */
const PUBLIC_DOCUMENT_MAX_AGE_SECONDS = 300;

/** A dependency that takes longer than this to answer is reported unavailable. */
const READINESS_TIMEOUT_MS = 2_000;

function withTimeout(check: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out")), ms);
  });
  return Promise.race([check, timeout]).finally(() => clearTimeout(timer));
}

export const healthz: AppRouteHandler<typeof HealthzRoute> = (c) => c.json({ status: "ok" as const }, 200);

export const readyz: AppRouteHandler<typeof ReadyzRoute> = async (c) => {
  const results = await Promise.all(
    c.var.services.readinessChecks.map(async ({ name, check }) => {
      const ok = await withTimeout(check(), READINESS_TIMEOUT_MS).then(
        () => true,
        () => false,
      );
      return [name, ok ? "ok" : "unavailable"] as const;
    }),
  );
  const ready = results.every(([, status]) => status === "ok");
  const body = { status: ready ? ("ok" as const) : ("unavailable" as const), checks: Object.fromEntries(results) };
  return ready ? c.json(body, 200) : c.json(body, 503);
};

export const jwks: AppRouteHandler<typeof JwksRoute> = (c) => {
  // Short public caching: verifiers pick up a rotated key within minutes, without hammering us.
  c.header("cache-control", `public, max-age=${PUBLIC_DOCUMENT_MAX_AGE_SECONDS}`);
  const { keys } = c.var.services.accessTokens.jwks();
  return c.json(
    {
      keys: keys.map((key) => ({
        kty: String(key.kty),
        kid: String(key.kid),
        alg: String(key.alg),
        use: String(key.use ?? "sig"),
        ...(key.crv !== undefined && { crv: key.crv }),
        ...(key.x !== undefined && { x: key.x }),
        ...(key.y !== undefined && { y: key.y }),
        ...(key.n !== undefined && { n: key.n }),
        ...(key.e !== undefined && { e: key.e }),
      })),
    },
    200,
  );
};

