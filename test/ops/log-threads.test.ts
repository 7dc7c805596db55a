/**
 * log_lines_dropped_total counts every thread's drops, not only the main and HTTP threads': a
 * real `video-server start --only scheduler` (its REST service on an HTTP thread; the dispatcher
 * and executor actor threads; the executor's piscina pool) with stdout a FIFO whose reader is
 * gone (EPIPE). The pool threads — started by the executor's thread, not by the main thread —
 * log VS_TEST_POOL_LINES lines per video (test/fixtures/ops/pool-logging.task.ts); the scrape
 * (parsed with parse-prometheus-text-format) must count them. The other threads log a few lines
 * per request or round: far fewer than the pool's.
 */
import { describe, expect, it } from 'vitest';
import { droppedCounted, start } from './log-traffic.js';
import { deleteVideos, POOL_CLI, POOL_TOKEN } from './pool-deletions.js';

describe('dropped log lines of every thread', () => {
  it('stdout’s reader is gone while the scheduler’s pool threads log: the scrape counts their drops', {
    timeout: 180_000,
  }, async () => {
    const LINES = 200;
    const VIDEOS = 6;
    const s = await start({
      cli: POOL_CLI,
      only: 'scheduler',
      env: {
        SCHEDULER_TOKEN: POOL_TOKEN,
        SCHEDULER_INTERVAL_MS: '200',
        VS_TEST_POOL_LINES: String(LINES),
        LOG_STALL_MS: '60000',
      },
    });
    await s.out.kill();

    // Each video's task logged its lines (all dropped: EPIPE) before it deleted the video.
    await deleteVideos(s.urls.scheduler!, s.metrics, VIDEOS);
    // The main thread and the REST thread wrote a line or two per request and per round: a few
    // dozen at most. Only the pool threads' lines make the count reach this.
    expect(await droppedCounted(s, 'EPIPE')).toBeGreaterThanOrEqual(VIDEOS * LINES);
    expect(s.child.exitCode).toBeNull();
    expect(await s.stop()).toEqual({ code: 0, signal: null });
  });
});
