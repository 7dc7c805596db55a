/**
 * The limiter under supervision (server.ts): one token buffer for the process's life and one
 * limiter actor per incarnation over it. The child is permanent: a crashed actor (an error in a
 * reconfiguration, a refill or a statistics fold) is restarted by the supervisor with the options
 * last applied, over the same buffer — the HTTP threads' LimiterClients keep spending and
 * returning tokens on it throughout and never notice; tokens out at the crash are released once,
 * by their holders (limiter.ts, "Restart").
 *
 * Invariants:
 *   - `ref.shared` is the same buffer for every incarnation (the first one creates it).
 *   - `reconfigure` records its options only once the current actor applied them, so a restart
 *     applies what was in force, never options a crashed ask may not have applied.
 */
import { ActorStoppedError } from './errors.js';
import { type LimiterOptions, type LimiterRef, spawnLimiter } from './limiter.js';
import type { ChildSpec } from './supervisor.js';

export interface SupervisedLimiter {
  /** A stable handle: reconfigure/stats/stop go to the current incarnation. */
  readonly ref: Omit<LimiterRef, 'exited'>;
  /** The child to give a Supervisor (restart 'permanent'); its start() spawns an incarnation. */
  readonly child: ChildSpec<LimiterRef>;
}

/** Options are validated by each spawn, so a bad one fails the first start. */
export function supervisedLimiter(options: LimiterOptions, id = 'limiter'): SupervisedLimiter {
  let applied = options;
  let current: LimiterRef | undefined;
  const live = (): LimiterRef => {
    if (!current) throw new ActorStoppedError(`${id} has not started`);
    return current;
  };
  const ref: Omit<LimiterRef, 'exited'> = {
    get shared() {
      return live().shared;
    },
    async reconfigure(o) {
      await live().reconfigure(o);
      // As the live actor does: a reconfiguration without a clock keeps the one in use.
      applied = { ...o, clock: o.clock ?? applied.clock };
    },
    stats: () => live().stats(),
    stop: () => current?.stop() ?? Promise.resolve(),
  };
  const child: ChildSpec<LimiterRef> = {
    id,
    restart: 'permanent',
    start: async () => {
      current = await spawnLimiter(applied, current?.shared);
      return current;
    },
  };
  return { ref, child };
}
