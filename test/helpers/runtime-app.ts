import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, type App } from "../../src/app.js";
import { createRuntime } from "../../src/bootstrap.js";
import { loadConfig } from "../../src/config.js";
import { inProcessClient, type TestResponse } from "./test-app.js";

export interface RuntimeApp {
  app: App;
  /** Closes the runtime's handles, then removes its DATA_DIR. */
  close(): Promise<void>;
}

/**
 * The app as the entrypoints build it: `env` through loadConfig and the real bootstrap
 * (createRuntime), so its clients have the production settings, unlike createTestApp's test
 * handles. For tests of dependencies that go away. DATA_DIR is a fresh temporary directory.
 */
export async function startRuntimeApp(env: Record<string, string>): Promise<RuntimeApp> {
  const dataDir = await mkdtemp(join(tmpdir(), "auth-outage-"));
  try {
    const runtime = await createRuntime(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DATA_DIR: dataDir, ...env }));
    return {
      app: createApp(runtime.deps),
      async close() {
        await runtime.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** POST a JSON body and GET (with an optional Bearer token), in process, on an app built later (in a beforeAll). */
export function jsonCalls(app: () => App) {
  return {
    post: (path: string, json: unknown): Promise<TestResponse> => inProcessClient(app()).request("POST", path, { json }),
    get: (path: string, token?: string): Promise<TestResponse> => inProcessClient(app()).request("GET", path, token ? { token } : {}),
  };
}
