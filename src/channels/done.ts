/**
 * done(signal): Go's ctx.Done() — a channel that is closed when the signal aborts, so it can sit
 * in a select next to other cases. One channel per signal (cached weakly), one listener.
 */
import { Channel } from './channel.js';
import type { RecvChannel } from './types.js';

const cache = new WeakMap<AbortSignal, Channel<never>>();

export function done(signal: AbortSignal): RecvChannel<never> {
  let ch = cache.get(signal);
  if (ch !== undefined) return ch;
  const c = new Channel<never>(0);
  ch = c;
  cache.set(signal, c);
  if (signal.aborted) c.close();
  else signal.addEventListener('abort', () => c.close(), { once: true });
  return c;
}
