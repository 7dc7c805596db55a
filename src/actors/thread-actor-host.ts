/**
 * Worker side of a thread actor: `exposeThreadActor(api)` in the worker's entry file makes the
 * object's methods callable from the main thread (comlink over the worker's parentPort), then
 * tells the parent it is ready. Errors thrown by methods cross as `{code, message}`. It also
 * makes the thread's Node warnings and console calls log lines (log-capture.ts).
 */
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { captureOutput } from '../log-capture.js';
import './comlink-errors.js';
import { InvalidArgumentError } from './errors.js';

/** The message a host posts once its API is exposed (comlink ignores messages without an id). */
export const READY = '__thread_actor_ready__';

export function exposeThreadActor(api: object): void {
  if (parentPort === null) {
    throw new InvalidArgumentError('exposeThreadActor must be called inside a worker thread');
  }
  captureOutput();
  expose(api, nodeEndpoint(parentPort));
  parentPort.postMessage({ [READY]: true });
}
