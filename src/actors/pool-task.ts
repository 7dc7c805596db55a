/**
 * Worker side of a pool task. Wrap the task file's default export with `defineTask` so that a
 * thrown error crosses back as `{code, message}` (structured clone would keep the message but
 * drop the class and the code) and the pool rebuilds it as the same class. Loading it loads the
 * logger, so Node's warnings in a pool thread are log lines too (log.ts), even in a task that
 * never logs.
 */
import '../log.js';
import { type SerializedError, serializeError } from './errors.js';

export type TaskEnvelope<O> = { ok: true; value: O } | { ok: false; error: SerializedError };

export function defineTask<I, O>(
  fn: (input: I) => O | Promise<O>,
): (input: I) => Promise<TaskEnvelope<O>> {
  return async (input: I) => {
    try {
      return { ok: true, value: await fn(input) };
    } catch (err) {
      return { ok: false, error: serializeError(err) };
    }
  };
}
