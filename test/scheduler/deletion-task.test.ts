/**
 * The deletion task's lease step, in-process through runDeletions (the function the pool threads
 * run): a fresh lease that outlives the task is only read, a shorter one is renewed (a fenced
 * write), a record another owner took over is left alone and reported lost. A failing blob
 * (a directory where the file should be) keeps a video's deletion record, so its lease after the
 * task shows whether the task wrote it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDeletions } from '../../src/scheduler/deletion.task.js';
import { openStores } from '../../src/store/index.js';
import { isGone, seedVideo, tempConfig } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('runDeletions: leases', () => {
  it('reads a lease that outlives the task, renews a short one, leaves a taken-over one', async () => {
    const t = await tempConfig();
    cleanups.push(t.cleanup);
    const stores = await openStores(t.config);
    cleanups.push(() => stores.close());
    const [fresh, short, shortOk, taken] = [
      await seedVideo(stores),
      await seedVideo(stores),
      await seedVideo(stores),
      await seedVideo(stores),
    ] as [string, string, string, string];
    const now = Date.now();
    const q = stores.queue;
    // Claim order is enqueue order: taken (me, expired, then other), short + shortOk, fresh.
    for (const [i, id] of [taken, short, shortOk, fresh].entries()) {
      await q.enqueueDeletion(id, now - 10_000 + i);
    }
    expect((await q.claimDeletions('me', 1, 1000, now - 5000)).map((d) => d.videoId)).toEqual([
      taken,
    ]);
    expect((await q.claimDeletions('other', 1, 600_000, now)).map((d) => d.videoId)).toEqual([
      taken,
    ]);
    expect(await q.claimDeletions('me', 2, 5000, now)).toHaveLength(2); // short, shortOk
    const [claimedFresh] = await q.claimDeletions('me', 1, 600_000, now);
    expect(claimedFresh?.videoId).toBe(fresh);
    // The blobs of fresh and short cannot be deleted: their records stay, with their leases.
    for (const id of [fresh, short]) {
      await stores.blobs.delete(id);
      await mkdir(join(t.config.dataDir, 'videos', id), { recursive: true }); // unlink: EISDIR
    }
    const start = Date.now();
    const results = await runDeletions({
      config: t.config,
      videoIds: [fresh, short, shortOk, taken],
      owner: 'me',
      leaseMs: 60_000,
      deadline: start + 30_000,
      minLeaseUntil: start + 45_000,
    });
    expect(results.map((r) => [r.videoId, r.outcome])).toEqual([
      [fresh, 'failed'],
      [short, 'failed'],
      [shortOk, 'done'],
      [taken, 'lost'],
    ]);
    // fresh: confirmed by a read, its claim's lease untouched; short: renewed by the task.
    expect((await q.getDeletion(fresh))?.leaseUntil).toBe(claimedFresh!.leaseUntil);
    expect((await q.getDeletion(short))?.leaseUntil).toBeGreaterThanOrEqual(start + 60_000);
    expect(await isGone(stores, shortOk)).toBe(true);
    expect(await q.getDeletion(taken)).toMatchObject({ owner: 'other', leaseUntil: now + 600_000 });
    expect(await stores.records.getVideo(taken)).toBeDefined(); // lost: nothing was touched
  });
});
