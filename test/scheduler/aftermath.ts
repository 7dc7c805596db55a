/**
 * The scheduler process tests' common frame (give-up.test.ts, executor-crash.test.ts): videos
 * seeded and queued for deletion before a scheduler process runs, what must hold of them after
 * it ended (each wholly gone or still queued whole; nothing half deleted), and a later scheduler
 * that deletes the rest.
 */
import { expect } from 'vitest';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startScheduler } from '../../src/scheduler/index.js';
import type { Stores } from '../../src/store/index.js';
import { isGone, isIntact, seedVideo, waitFor } from './helpers.js';

/** Seeds `asked` + `kept` videos (a blob and one comment each); queues the `asked` for deletion. */
export async function seedQueued(stores: Stores, asked: number, kept: number) {
  const ids = { asked: [] as string[], kept: [] as string[] };
  // 50 at a time: their store writes share LMDB commits.
  for (let i = 0; i < asked; i += 50) {
    const n = Math.min(50, asked - i);
    ids.asked.push(...(await Promise.all(Array.from({ length: n }, () => seedVideo(stores, 1)))));
  }
  for (let i = 0; i < kept; i++) ids.kept.push(await seedVideo(stores, 1));
  for (const id of ids.asked) await stores.queue.enqueueDeletion(id);
  return ids;
}

/**
 * Each video asked for is wholly gone, or still queued for deletion with its record and comment
 * both there or both gone (one transaction; its blob goes first): a later run deletes it, every
 * step being idempotent. The kept ones are intact. Returns how many are gone.
 */
export async function expectGoneOrQueuedWhole(
  stores: Stores,
  ids: { asked: string[]; kept: string[] },
): Promise<number> {
  let gone = 0;
  for (const id of ids.asked) {
    if (await isGone(stores, id)) {
      gone++;
      continue;
    }
    expect(await stores.queue.getDeletion(id), id).toBeDefined();
    const [video, comments] = await Promise.all([
      stores.records.getVideo(id),
      stores.records.listComments(id),
    ]);
    expect(comments.length, id).toBe(video ? 1 : 0);
  }
  for (const id of ids.kept) expect(await isIntact(stores, id, 1)).toBe(true);
  return gone;
}

/**
 * A later scheduler on the same stores deletes every video asked for (leases left behind end
 * within the test's lease) and leaves the kept ones intact.
 */
export async function laterRunDeletesTheRest(
  config: Config,
  stores: Stores,
  ids: { asked: string[]; kept: string[] },
  cleanups: Array<() => Promise<unknown>>,
): Promise<void> {
  const later = startScheduler(
    config,
    { records: stores.records, log: createLogger('test', 100) },
    { batch: 500, poolThreads: 2 },
  );
  cleanups.push(() => later.close(10_000));
  await waitFor(
    'every video asked for deleted',
    async () => {
      for (const id of ids.asked) if (!(await isGone(stores, id))) return false;
      return true;
    },
    120_000,
    200,
  );
  for (const id of ids.kept) expect(await isIntact(stores, id, 1)).toBe(true);
}
