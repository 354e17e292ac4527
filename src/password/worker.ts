import { parentPort, workerData } from "node:worker_threads";
import { compileHashWasmArgon2, createReusableArgon2id } from "./argon2-wasm.js";
import { answerPasswordJob, type PasswordWorkerRequest } from "./pool.js";
import { assertArgon2Params, createArgon2idHasher, type Argon2Params } from "./hasher.js";
import { readHashWasmArgon2Bundle } from "./hash-wasm-bundle.js";

/**
 * Entrypoint of one password worker thread (spawned by src/password/worker-threads.ts). It runs the
 * very same hasher as the main thread would, so hashes and `needsRehash` are identical whichever
 * side computed them; only the Argon2 computation differs: one hash-wasm instance reused for the
 * life of the thread (src/password/argon2-wasm.ts says why). Jobs arrive one at a time (the
 * pool never sends a second before the first is answered), so a long hash here delays nobody but
 * the queue the pool already bounds.
 */
if (!parentPort) throw new Error("src/password/worker.ts must be started as a worker thread");
const port = parentPort;
const { params } = workerData as { params: Argon2Params };
// Bad parameters kill the worker at start, before any job is taken (the pool reports a crash).
assertArgon2Params(params);
// Top-level await: a job posted meanwhile waits in the port until the listener below exists.
const argon2id = await createReusableArgon2id(await compileHashWasmArgon2(await readHashWasmArgon2Bundle()), {
  maxReusedMemoryKib: params.memorySize,
});
const hasher = createArgon2idHasher(params, { argon2id });

port.on("message", (request: PasswordWorkerRequest) => {
  void answerPasswordJob(hasher, request).then((response) => port.postMessage(response));
});
