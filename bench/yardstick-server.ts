import { Hono } from "hono";
import { loadConfig } from "../src/config.js";
import { createAccessTokensFromConfig } from "../src/tokens/jwt.js";
import { signingKeysFromConfig } from "./lib/keys.js";

/**
 * The HTTP yardsticks, served by their own process on the same runtime and adapter as the service
 * (@hono/node-server on Node, Bun.serve on Bun), so every service figure can be read as a ratio to:
 *   GET /bare    a bare Hono JSON route: the ceiling of the runtime + adapter + load generator;
 *   GET /verify  a route that only verifies the bearer access token, with the service's own
 *                createAccessTokensFromConfig and the very key the service signs with (same JWT_* env), its
 *                verified-token cache turned off: every request pays one full signature check,
 *                whatever the service under test caches.
 * No logging, no middleware: whatever the service does beyond this is what its ratios show.
 * Configured by the same environment variables as the service (HOST, PORT, JWT_*), via loadConfig.
 */

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
declare const Bun: {
  serve(options: { port: number; hostname: string; fetch: (request: Request) => Response | Promise<Response> }): BunServer;
};

const config = loadConfig(process.env);

const accessTokens = createAccessTokensFromConfig(config, await signingKeysFromConfig(config), { verifiedTokenCacheSize: 0 });

const BEARER = /^Bearer ([A-Za-z0-9_~+/.=-]+)$/i;

const app = new Hono();
app.get("/bare", (c) => c.json({ ok: true }));
app.get("/verify", async (c) => {
  const token = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
  const claims = token ? await accessTokens.verify(token, new Date()) : null;
  if (!claims) return c.json({ error: "invalid_token" }, 401);
  return c.json({ sub: claims.sub, sid: claims.sid }, 200);
});

if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") {
  const server = Bun.serve({ port: config.port, hostname: config.host, fetch: app.fetch });
  process.once("SIGTERM", () => void server.stop(true).then(() => process.exit(0)));
  console.log(JSON.stringify({ msg: "listening", port: server.port, runtime: "bun" }));
} else {
  const { serve } = await import("@hono/node-server");
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) =>
    console.log(JSON.stringify({ msg: "listening", port: info.port, runtime: `node ${process.version}` })),
  );
  process.once("SIGTERM", () => {
    server.close(() => process.exit(0));
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
