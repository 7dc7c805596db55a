/**
 * For the tests whose scheduler's pool threads log (test/fixtures/ops/pool-logging-cli.ts, with
 * VS_TEST_POOL_LINES lines per video): asks for deletions over the scheduler's REST service and
 * waits until the executor counts each one done.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect, vi } from 'vitest';
import { scrape, total } from './prom.js';

/** The command (arguments as for `video-server start`) whose pool threads log. */
export const POOL_CLI = fileURLToPath(
  new URL('../fixtures/ops/pool-logging-cli.ts', import.meta.url),
);
/** SCHEDULER_TOKEN for these servers. */
export const POOL_TOKEN = 'ops-pool-logging-token';

/**
 * `videos` deletions asked of `scheduler` (each answered within a generous bound), then waited
 * for: each video's task logged its lines from a pool thread before it deleted the video, and
 * the executor (an actor thread) counted it done in `metrics`' scheduler_done_total.
 */
export async function deleteVideos(scheduler: string, metrics: string, videos: number) {
  for (let i = 0; i < videos; i++) {
    const res = await fetch(`${scheduler}/video-delete-record/${randomUUID()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${POOL_TOKEN}` },
      signal: AbortSignal.timeout(60_000),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
  }
  await vi.waitFor(
    async () =>
      expect(
        total(await scrape(metrics), 'scheduler_done_total', { runner: 'video-cleanup' }),
      ).toBe(videos),
    { timeout: 60_000, interval: 200 },
  );
}
