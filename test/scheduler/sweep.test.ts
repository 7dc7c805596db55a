/**
 * The lifecycle sweep (issue 10 item 8) through a running scheduler on the embedded store: an
 * upload never completed and older than the TTL is purged the normal way (queued, hidden, then
 * deleted by the cleanup), a blob with no record is removed, so is a poster whose video is gone,
 * and nothing else is touched — not a ready video, not a fresh upload in progress, not a poster
 * whose video is stored.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { openStores, posterBlobId, type Stores } from '../../src/store/index.js';
import { tempConfig, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function blob(stores: Stores, id: string): Promise<void> {
  const w = await stores.blobs.createWriter(id, { contentType: 'video/mp4' });
  await w.write(Buffer.from('bytes'));
  await w.commit();
}

async function video(stores: Stores, ready: boolean, createdAt: number): Promise<string> {
  const id = randomUUID();
  await stores.records.createVideo({
    id,
    authorId: randomUUID(),
    name: 'v',
    createdAt,
    state: 'active',
    ready,
  });
  return id;
}

it('purges stale uploads and orphan blobs, and nothing else', async () => {
  const t = await tempConfig({ SCHEDULER_INTERVAL_MS: '100' });
  cleanups.push(t.cleanup);
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const now = Date.now();
  // Ages far from the 1 h TTL either way: the fresh upload stays younger than it however long
  // a loaded machine takes to run this test.
  const stale = await video(stores, false, now - 7_200_000); // upload abandoned 2 h ago
  await blob(stores, stale); // (a partial upload's bytes, had any been committed)
  const fresh = await video(stores, false, now); // an upload in progress
  const ready = await video(stores, true, now - 7_200_000);
  await blob(stores, ready);
  await blob(stores, posterBlobId(ready)); // a poster: derived id, never an orphan by itself
  const orphan = randomUUID();
  await blob(stores, orphan); // bytes whose record is gone
  // A poster written after its video was deleted (its video's blob and record are gone).
  const orphanPoster = posterBlobId(randomUUID());
  await blob(stores, orphanPoster);

  const s = startScheduler(
    t.config,
    {
      records: stores.records,
      queue: stores.queue,
      blobs: stores.blobs,
      log: createLogger('test', 100),
    },
    { poolThreads: 1, sweepEveryTicks: 1, uploadTtlMs: 3_600_000, orphanGraceMs: 0 },
  );
  cleanups.push(() => s.close(5000));
  await waitFor(
    'the stale upload purged, the orphan blob and the orphan poster removed',
    async () =>
      (await stores.records.getVideo(stale)) === undefined &&
      (await stores.queue.getDeletion(stale)) === undefined && // completed, not dead
      (await stores.blobs.stat(stale)) === undefined &&
      (await stores.blobs.stat(orphan)) === undefined &&
      (await stores.blobs.stat(orphanPoster)) === undefined,
    120_000,
  );
  expect(await stores.queue.countDeletions()).toEqual({ pending: 0, dead: 0 });
  expect((await stores.records.getVideo(fresh))?.state).toBe('active');
  expect((await stores.records.getVideo(ready))?.state).toBe('active');
  expect((await stores.blobs.stat(ready))?.size).toBe(5);
  expect((await stores.blobs.stat(posterBlobId(ready)))?.size).toBe(5);
  expect(s.stats().runners['lifecycle-sweep']!.done).toBeGreaterThanOrEqual(2);
}, 180_000);
