/**
 * The session-purge runner: the seed's "several timed tasks can be configured". One purge pass
 * per round — the dispatcher hands the executor a single token on the round's first dispatch
 * and reports "all tasks finished" on the next, so a round is exactly one purge.
 * The purge is one indexed store operation, so it runs on the main thread's store, not the pool.
 */
import type { Logger } from '../log.js';
import type { RecordStore } from '../store/types.js';
import { Runner } from './runner.js';
import type { StatsBoard } from './stats.js';

export function sessionPurge(deps: {
  records: RecordStore;
  board: StatsBoard;
  row: number;
  log: Logger;
}): Runner<number> {
  const { records, board, row, log } = deps;
  return new Runner<number>({
    name: 'session-purge',
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
      if (!now?.ok) return;
      const purged = await records.purgeExpiredSessions(now.value);
      board.add(row, 'done', purged);
      if (purged > 0) log.info('expired sessions purged', { count: purged });
    },
  });
}
