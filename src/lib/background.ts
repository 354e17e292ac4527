import type { Logger } from "pino";
import { logError } from "./loggable-error.js";

/**
 * Work started by a request that its answer does not wait for (the lookup and the message of
 * POST /password/forgot). Failures are logged, never thrown; `whenIdle` lets a shutdown, or a test,
 * wait until all of it has finished.
 */
export interface BackgroundTasks {
  run(what: string, task: () => Promise<void>): void;
  whenIdle(): Promise<void>;
}

export function createBackgroundTasks({ logger }: { logger: Logger }): BackgroundTasks {
  const pending = new Set<Promise<void>>();
  return {
    run(what, task) {
      const running = (async () => {
        try {
          await task();
        } catch (error) {
          logError(logger, `${what} failed`, error);
        }
      })();
      pending.add(running);
      void running.finally(() => pending.delete(running));
    },
    async whenIdle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
