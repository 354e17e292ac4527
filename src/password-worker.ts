import { parentPort, workerData } from "node:worker_threads";
import type { PasswordWorkerRequest, PasswordWorkerResponse } from "./crypto/password-pool.js";
import { createArgon2idHasher, type Argon2Params } from "./crypto/password.js";

/**
 * Entrypoint of one password worker thread (spawned by src/runtime/worker-threads.ts). It runs the
 * very same in-thread hasher as the main thread would, so hashes and `needsRehash` are identical
 * whichever side computed them. Jobs arrive one at a time (the pool never sends a second before the
 * first is answered), so a long hash here delays nobody but the queue the pool already bounds.
 */
if (!parentPort) throw new Error("password-worker.ts must be started as a worker thread");
const port = parentPort;
const { params } = workerData as { params: Argon2Params };
const hasher = createArgon2idHasher(params);

port.on("message", (request: PasswordWorkerRequest) => {
  void answer(request).then((response) => port.postMessage(response));
});

async function answer(request: PasswordWorkerRequest): Promise<PasswordWorkerResponse> {
  try {
    if (request.op === "hash") {
      return { id: request.id, op: "hash", ok: true, phcHash: await hasher.hash(request.password) };
    }
    return {
      id: request.id,
      op: "verify",
      ok: true,
      verification: await hasher.verify(request.phcHash, request.password),
    };
  } catch (error) {
    // Only the message crosses back: an error object could carry the request (and its password).
    return { id: request.id, op: request.op, ok: false, error: error instanceof Error ? error.message : "unknown error" };
  }
}
