/**
 * A deletion that keeps failing is retried with backoff, then dead-lettered; the others — before
 * and after it — go on. The failure is real, not injected: the video's blob path is a non-empty
 * directory, which the filesystem blob store cannot unlink (root ignores permission bits, so a
 * read-only directory would not fail here).
 */

import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { type Scheduler, startScheduler } from '../../src/scheduler/index.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { isGone, seedVideo, tempConfig, waitFor } from './helpers.js';

describe('a failing deletion', () => {
  let t: Awaited<ReturnType<typeof tempConfig>>;
  let stores: Stores;
  let scheduler: Scheduler;
  beforeAll(async () => {
    t = await tempConfig();
    stores = await openStores(t.config);
  });
  afterAll(async () => {
    await scheduler?.close(5000);
    await stores?.close();
    await t?.cleanup();
  });

  it('is retried with backoff, then dead-lettered, while the runner carries on', async () => {
    const bad = randomUUID();
    await stores.records.createVideo({
      id: bad,
      authorId: randomUUID(),
      name: 'stuck',
      createdAt: Date.now(),
      state: 'active',
    });
    await mkdir(join(t.config.dataDir, 'videos', bad), { recursive: true });
    await writeFile(join(t.config.dataDir, 'videos', bad, 'x'), 'x');
    const before = [await seedVideo(stores), await seedVideo(stores)];
    await stores.queue.enqueueDeletion(bad);
    for (const id of before) await stores.queue.enqueueDeletion(id);

    scheduler = startScheduler(
      t.config,
      { records: stores.records, queue: stores.queue, log: createLogger('test', 100) },
      { poolThreads: 1, maxAttempts: 3, backoffBaseMs: 30, backoffMaxMs: 100 },
    );
    await waitFor('the bad record dead-lettered', async () => {
      return (await stores.queue.getDeletion(bad))?.state === 'dead';
    });
    const dead = await stores.queue.getDeletion(bad);
    expect(dead).toMatchObject({ state: 'dead', attempts: 3, owner: undefined });
    expect(dead?.lastError).toMatch(/blob/);
    expect((await stores.queue.listDeadDeletions()).map((d) => d.videoId)).toEqual([bad]);
    // The video record is still there: the task stopped at the first failing step.
    expect(await stores.records.getVideo(bad)).toBeDefined();
    for (const id of before) expect(await isGone(stores, id)).toBe(true);

    // The runner carries on with work recorded after the dead letter.
    const after = [await seedVideo(stores), await seedVideo(stores)];
    for (const id of after) await stores.queue.enqueueDeletion(id);
    for (const id of after) await waitFor(`video ${id} gone`, () => isGone(stores, id));

    // The runner's counters follow the executor's answer, which trails the store writes.
    const counters = () => scheduler.stats().runners['video-cleanup']!;
    await waitFor('the runner counted the last batch', () => counters().done >= 4);
    const s = counters();
    expect(s).toMatchObject({ failed: 2, deadLettered: 1, done: 4, roundErrors: 0 });
    expect(await stores.queue.countDeletions()).toEqual({ pending: 0, dead: 1 });
  });
});
