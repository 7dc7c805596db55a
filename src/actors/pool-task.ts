/**
 * Worker side of a pool task. Wrap the task file's default export with `defineTask` so that a
 * thrown error crosses back as `{code, message}` (structured clone would keep the message but
 * drop the class and the code) and the pool rebuilds it as the same class. On a pool thread it
 * also makes Node's warnings and console calls log lines (log-capture.ts), even in a task that
 * never logs.
 */
import { isMainThread } from 'node:worker_threads';
import { captureOutput } from '../log-capture.js';
import { type SerializedError, serializeError } from './errors.js';

export type TaskEnvelope<O> = { ok: true; value: O } | { ok: false; error: SerializedError };

export function defineTask<I, O>(
  fn: (input: I) => O | Promise<O>,
): (input: I) => Promise<TaskEnvelope<O>> {
  if (!isMainThread) captureOutput();
  return async (input: I) => {
    try {
      return { ok: true, value: await fn(input) };
    } catch (err) {
      return { ok: false, error: serializeError(err) };
    }
  };
}
