import { afterAll, beforeAll } from "vitest";
import { testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestApp, type BackendName, type Listener, type TestApp, type TestClient, type TestResponse } from "../helpers/test-app.js";

declare const Bun: {
  serve(options: { port: number; hostname: string; fetch: (request: Request) => Response | Promise<Response> }): {
    port: number;
    stop(force?: boolean): Promise<void>;
  };
};

/** A real Bun.serve listener on an ephemeral port of 127.0.0.1 (bun test only); the Listener of test-app.ts. */
export function bunListen(fetchHandler: (request: Request) => Response | Promise<Response>): Listener {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: fetchHandler });
  return { baseUrl: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) };
}

/** A TestClient over a real Bun.serve listener on an ephemeral port (bun test only). */
export function bunClient(fetchHandler: (request: Request) => Response | Promise<Response>): TestClient {
  const server = bunListen(fetchHandler);
  const base = server.baseUrl;
  return {
    transport: "http",
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      let body = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers["content-type"] ??= "application/json";
      }
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined && { body }) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON
      }
      return { status: response.status, headers: response.headers, body: parsed, text } satisfies TestResponse;
    },
    close: server.close,
  };
}


/** The richest backend the environment offers: PostgreSQL + Redis in CI, the embedded one otherwise. */
export const bunBackend: BackendName = testDatabaseUrl && testRedisUrl ? "postgres+redis" : testDatabaseUrl ? "postgres" : "pglite";

/**
 * A test app on `bunBackend` served by Bun.serve for the enclosing describe: built in its beforeAll,
 * closed in its afterAll. The getters are for the tests, which run after both exist.
 */
export function useBunApp(): { testApp: () => TestApp; client: () => TestClient } {
  let testApp: TestApp | undefined;
  let client: TestClient | undefined;
  beforeAll(async () => {
    testApp = await createTestApp({ backend: bunBackend });
    client = bunClient((request) => testApp!.app.fetch(request));
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await testApp?.cleanup();
  }, 30_000);
  return { testApp: () => testApp!, client: () => client! };
}
