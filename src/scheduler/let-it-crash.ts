/**
 * "Let it crash" for the scheduler's actor threads: a method's failure is answered to the caller
 * (the round ends with that error) and then, unless it is an expected store failure, the thread
 * dies with it so that its supervisor replaces it with a fresh one.
 *
 * Why store errors do not kill the thread: a database outage is the environment's fault, not the
 * actor's state; the store reconnects by itself, and killing the thread on every failed round
 * would turn a few seconds of outage into a restart storm that exceeds the supervisor's intensity
 * and takes the whole process down. Anything else (a bug, a broken invariant) is unknown state:
 * the thread is replaced.
 */
import { StoreError } from '../store/errors.js';

export function letItCrash<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (!(err instanceof StoreError)) {
        // After the reply is posted (comlink answers in a microtask): uncaught → thread exits.
        setImmediate(() => {
          throw err;
        });
      }
      throw err;
    }
  };
}
