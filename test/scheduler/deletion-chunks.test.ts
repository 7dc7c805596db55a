/**
 * The deletion task's chunks, in-process through runDeletions (the function the pool threads
 * run): the task confirms its leases once (one heldDeletions read for the whole task, not one per
 * chunk), a video another owner took over is left untouched, the confirmed videos run in
 * CHUNKS_PER_TASK chunks at once, the results come back in the task's order, and a video whose
 * blob step failed fails alone. Its own file: runDeletions keeps the stores it opened first for
 * the thread's life (here: this test file's fork).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runDeletions } from '../../src/scheduler/deletion.task.js';
import { CHUNKS_PER_TASK } from '../../src/scheduler/deletion-types.js';
import { openStores } from '../../src/store/index.js';
import { isGone, isIntact, seedVideo, tempConfig } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('runDeletions: chunks', () => {
  it('confirms the leases once, then runs the chunks at once: results in the task order, a failure stays in its video', async () => {
    const t = await tempConfig();
    cleanups.push(t.cleanup);
    const stores = await openStores(t.config);
    cleanups.push(() => stores.close());
    // More videos than CHUNKS_PER_TASK, so that every chunk holds several.
    const ids: string[] = [];
    for (let i = 0; i < 3 * CHUNKS_PER_TASK + 1; i++) ids.push(await seedVideo(stores, 1));
    const taken = await seedVideo(stores, 1);
    const now = Date.now();
    for (const [i, id] of [...ids, taken].entries()) {
      await stores.queue.enqueueDeletion(id, now - 1000 + i);
    }
    expect(await stores.queue.claimDeletions('me', ids.length, 600_000, now)).toHaveLength(
      ids.length,
    );
    expect((await stores.queue.claimDeletions('other', 1, 600_000, now))[0]?.videoId).toBe(taken);
    // One blob in the middle of a chunk cannot be deleted (a directory where the file was).
    const bad = ids[5]!;
    await stores.blobs.delete(bad);
    await mkdir(join(t.config.dataDir, 'videos', bad), { recursive: true });
    // The queue's calls, counted on the class the task's own stores are made of.
    const queueClass = Object.getPrototypeOf(stores.queue);
    const held = vi.spyOn(queueClass, 'heldDeletions');
    const renew = vi.spyOn(queueClass, 'renewDeletions');
    cleanups.push(async () => {
      held.mockRestore();
      renew.mockRestore();
    });
    // The taken-over video sits among the others, in a later chunk.
    const task = [...ids.slice(0, 17), taken, ...ids.slice(17)];
    const results = await runDeletions({
      config: t.config,
      videoIds: task,
      owner: 'me',
      leaseMs: 60_000,
      deadline: Date.now() + 30_000,
      minLeaseUntil: Date.now() + 45_000,
    });
    expect(held.mock.calls).toEqual([['me', task]]);
    // Only the record the read did not show as ours goes through the fenced renewal, once.
    expect(renew.mock.calls).toEqual([['me', [taken], 60_000]]);
    expect(results.map((r) => r.videoId)).toEqual(task);
    expect(results.map((r) => r.outcome)).toEqual(
      task.map((id) => (id === bad ? 'failed' : id === taken ? 'lost' : 'done')),
    );
    expect(results.find((r) => r.videoId === bad)?.error?.message).toMatch(/^blob: /);
    for (const id of ids) expect(await isGone(stores, id)).toBe(id !== bad);
    expect(await stores.queue.getDeletion(bad)).toMatchObject({ owner: 'me' });
    // Lost: nothing of it touched, its record still the other owner's.
    expect(await isIntact(stores, taken, 1)).toBe(true);
    expect(await stores.queue.getDeletion(taken)).toMatchObject({ owner: 'other' });
  });
});
