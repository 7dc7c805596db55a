/**
 * The scheduler's stats reach other threads over a CrossThreadChannel (issue 11 item 3): the
 * buffer an HTTP thread gets is a channel carrying the board's records, and a reader on another
 * thread sees the latest counters and actor tree through it.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CrossThreadChannel } from '../../src/channels/index.js';
import {
  ACTOR_NAMES,
  COUNTERS,
  RUNNER_NAMES,
  schedulerBoard,
  schedulerStatsReader,
} from '../../src/scheduler/index.js';
import { workerFile } from '../../src/worker-file.js';

const peer = workerFile(import.meta.url, '../fixtures/scheduler/stats-reader.worker');
const started: Worker[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.terminate()));
});

const published = () => new Promise<void>((r) => queueMicrotask(r));

describe('scheduler stats over a cross-thread channel', () => {
  it('publishes every change as one float64 record on the channel', async () => {
    const board = schedulerBoard();
    const ch = CrossThreadChannel.from<Uint8Array>(board.publishTo());
    expect(ch.capacity).toBe(1);
    board.add(0, 'rounds', 3);
    board.add(2, 'done', 7);
    await published();
    const got = ch.tryRecv();
    expect(got?.ok).toBe(true);
    const cells = new Float64Array(got!.value!.slice().buffer);
    expect(cells.length).toBe(RUNNER_NAMES.length * COUNTERS.length + ACTOR_NAMES.length * 3);
    expect(cells[COUNTERS.indexOf('rounds')]).toBe(3);
    expect(cells[2 * COUNTERS.length + COUNTERS.indexOf('done')]).toBe(7);
    // Nothing else queued: one record per microtask, and the channel holds the latest only.
    expect(ch.tryRecv()).toBeUndefined();
  });

  it('a reader on another thread sees the latest counters and actor tree', async () => {
    const board = schedulerBoard();
    const w = new Worker(peer.url, {
      execArgv: peer.execArgv,
      workerData: { shared: board.publishTo() },
    });
    started.push(w);
    const ask = async () => {
      w.postMessage('stats');
      const [m] = await once(w, 'message');
      return m as { runners: Record<string, Record<string, number>>; actors: unknown[] };
    };
    const before = await ask();
    expect(before.runners['video-cleanup']!.rounds).toBe(0);
    expect(before.actors).toEqual(
      ACTOR_NAMES.map((id) => expect.objectContaining({ id, thread: undefined })),
    );

    for (let i = 0; i < 5; i++) {
      board.add(1, 'done', 2);
      await published(); // five records published; the reader must see the last one
    }
    board.set(0, 'lastRoundEnd', 1_700_000_000_123);
    board.setActors([{ id: ACTOR_NAMES[0], state: 'restarting', thread: 4, restarts: 2 }]);
    await published();
    const after = await ask();
    expect(after.runners['session-purge']!.done).toBe(10);
    expect(after.runners['video-cleanup']!.lastRoundEnd).toBe(1_700_000_000_123);
    expect(after.actors[0]).toEqual({
      id: ACTOR_NAMES[0],
      state: 'restarting',
      thread: 4,
      restarts: 2,
    });
    // The board's own view agrees with what crossed.
    expect(after.runners).toEqual(board.snapshot());
  });

  it('each reader has its own channel: two readers both see the latest record', async () => {
    const board = schedulerBoard();
    const a = schedulerStatsReader(board.publishTo());
    const b = schedulerStatsReader(board.publishTo());
    board.add(0, 'claimed', 4);
    await published();
    expect(a.snapshot()['video-cleanup']!.claimed).toBe(4);
    expect(b.snapshot()['video-cleanup']!.claimed).toBe(4);
    // Read again with nothing new: the last record is kept.
    expect(a.snapshot()['video-cleanup']!.claimed).toBe(4);
  });
});
