/**
 * The session-purge runner: the seed's "several timed tasks can be configured". One purge pass
 * per round (onePassRunner). The purge is one indexed store operation, so it runs on the main
 * thread's store, not on the actor threads.
 */
import type { Logger } from '../log.js';
import type { RecordStore } from '../store/types.js';
import { Runner } from './runner.js';
import type { StatsBoard } from './stats.js';

/**
 * A runner whose round is exactly one pass: the dispatcher hands the executor a single token
 * (the time) on the round's first dispatch and reports "all tasks finished" on the next.
 * `pass(now)` returns how many things it did (counted as `done`).
 */
export function onePassRunner(
  name: string,
  board: StatsBoard,
  row: number,
  pass: (now: number) => Promise<number>,
): Runner<number> {
  return new Runner<number>({
    name,
    size: 1,
    longLived: true,
    dispatcher: async (data, ctx) => {
      if (ctx.batch > 0) return 0;
      data.trySend(Date.now());
      board.add(row, 'claimed');
      return 1;
    },
    executor: async (data) => {
      const now = data.tryRecv();
      if (now?.ok) board.add(row, 'done', await pass(now.value));
    },
  });
}

export function sessionPurge(deps: {
  records: RecordStore;
  board: StatsBoard;
  row: number;
  log: Logger;
}): Runner<number> {
  const { records, log } = deps;
  return onePassRunner('session-purge', deps.board, deps.row, async (now) => {
    const purged = await records.purgeExpiredSessions(now);
    if (purged > 0) log.info('expired sessions purged', { count: purged });
    return purged;
  });
}
