/**
 * The scheduler's supervisor gives up while the executor works: the dispatcher thread dies (past
 * a restart intensity of 0) while the deletion pool is deep in a batch of 2000 videos with blobs
 * (dies-mid-batch-stores.ts waits until some are deleted and one records.deleteVideos call is
 * inside lmdb-js: the tests' task's spinOnce, a slow store call of native calls, so a store call
 * is in flight for sure). The process is the real command body (give-up-cli.ts). Ending a thread
 * inside an lmdb-js native call aborts the whole process (src/store/lmdb-env.ts): a give-up that
 * ends the actor threads at once dies of SIGABRT here (tried: ThreadActor.stop() terminating
 * without waiting, 3 of 3 runs). It must exit 1, naming the actor, and lose nothing: the data
 * dir reopened after the exit shows every video asked for wholly deleted or still queued for
 * deletion, the others intact, and a later scheduler deletes the rest.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { openStores } from '../../src/store/index.js';
import { expectGoneOrQueuedWhole, laterRunDeletesTheRest, seedQueued } from './aftermath.js';
import { runSchedulerCli } from './cli-process.js';
import { tempConfig } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/scheduler/give-up-cli.ts', import.meta.url));
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ASKED = 2000;
const KEPT = 5;
/**
 * The tasks' deadline is half of it: 10 s for the first chunks of the batch to delete their
 * records on a loaded machine (the dispatcher's cue) before the spinning call is closed at it.
 */
const LEASE_MS = 20_000;

it('the dispatcher dies past its intensity while the pool writes a large batch: exit 1, no abort, nothing lost', async () => {
  const t = await tempConfig();
  cleanups.push(t.cleanup);
  const dir = t.config.dataDir;
  const marks = join(dir, 'marks');
  await mkdir(marks);
  const before = await openStores(t.config);
  const ids = await seedQueued(before, ASKED, KEPT).finally(() => before.close());

  const { code, signal, out, lines } = await runSchedulerCli(
    FIXTURE,
    dir,
    {
      VS_TEST_TASK: JSON.stringify({ spinOnce: marks }),
      VS_GIVE_UP: JSON.stringify({ dir: marks, batch: ASKED, leaseMs: LEASE_MS }),
    },
    (kill) => cleanups.push(async () => kill()),
  );
  // An abort (a thread ended inside lmdb-js) is signal SIGABRT with code null.
  expect({ code, signal }, out).toEqual({ code: 1, signal: null });

  // The dispatcher died once the batch was partly done (the hand-off this test is about).
  const died = JSON.parse(await readFile(join(marks, 'dispatcher-died'), 'utf8')) as {
    claimed: number;
    gone: number;
    spinning: boolean;
  };
  expect(died.spinning).toBe(true);
  expect(died.gone).toBeGreaterThan(0);
  expect(lines.filter((l) => l.msg === 'actor thread replaced')).toEqual([]);
  const gaveUp = lines.find((l) => l.msg === 'restart intensity exceeded: supervisor gives up');
  expect(gaveUp, out).toMatchObject({ actor: 'video-cleanup.dispatcher', intensity: 0 });
  const exit = lines.find((l) => l.msg === 'a service kept crashing, exiting');
  expect(JSON.stringify(exit)).toContain('video-cleanup.dispatcher');

  // Reopened after the exit: each video asked for is wholly gone, or still queued whole (a later
  // run deletes it: every step is idempotent); the others are intact.
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const gone = await expectGoneOrQueuedWhole(stores, ids);
  expect(gone).toBeGreaterThan(0);
  // The spinning call ended because its stores were closed under it — not by its thread being
  // ended — and never deleted its videos' records: they wait for the later run.
  expect(existsSync(join(marks, 'closed-under-spin'))).toBe(true);
  const spun = (await readFile(join(marks, 'spun', 'ids'), 'utf8')).split('\n').filter(Boolean);
  expect(spun.length).toBeGreaterThan(0);
  for (const id of spun) {
    expect(await stores.records.getVideo(id), id).toBeDefined();
    expect(await stores.queue.getDeletion(id), id).toBeDefined();
  }

  // A later scheduler deletes the rest (their leases, if any, end within LEASE_MS).
  await laterRunDeletesTheRest(t.config, stores, ids, cleanups);
}, 240_000);
