/**
 * The HTTP contract suite against a real Bun.serve listener, run by `bun test` (Bun maps the
 * suite's `vitest` imports onto bun:test). CI runs it with TEST_DATABASE_URL and TEST_REDIS_URL:
 *   npx bun test ./test/bun/
 * Named .spec.ts so that vitest (which runs *.test.ts) leaves it to bun test.
 */
import { describeHttpContract } from "../contracts/http.contract.js";
import { testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestApp, type BackendName, type TestClient, type TestResponse } from "../helpers/test-app.js";

declare const Bun: {
  serve(options: { port: number; hostname: string; fetch: (request: Request) => Response | Promise<Response> }): {
    port: number;
    stop(force?: boolean): Promise<void>;
  };
};

function bunClient(fetchHandler: (request: Request) => Response | Promise<Response>): TestClient {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: fetchHandler });
  const base = `http://127.0.0.1:${server.port}`;
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
    close: () => server.stop(true),
  };
}

const backend: BackendName = testDatabaseUrl && testRedisUrl ? "postgres+redis" : testDatabaseUrl ? "postgres" : "pglite";

describeHttpContract(`Bun.serve, ${backend}`, async (env) => {
  const testApp = await createTestApp({ backend, env });
  return { testApp, client: bunClient((request) => testApp.app.fetch(request)) };
});
