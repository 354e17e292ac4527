import type { TestClient, TestResponse } from "../helpers/test-app.js";

/** A TestClient over a real Bun.serve listener on an ephemeral port (bun test only). */
declare const Bun: {
  serve(options: { port: number; hostname: string; fetch: (request: Request) => Response | Promise<Response> }): {
    port: number;
    stop(force?: boolean): Promise<void>;
  };
};

export function bunClient(fetchHandler: (request: Request) => Response | Promise<Response>): TestClient {
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

