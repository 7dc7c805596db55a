/**
 * Several scheduler nodes on one store: three threads on the embedded store, two processes on
 * one MongoDB. Every execution is logged with its owner and time window; no video may be
 * executed by two at once, and every record ends done.
 *
 * FerretDB (the dev server) does not make findAndModify atomic, so two claimers can both take a
 * record there. On the dev server the MongoDB case asserts completeness and reports overlaps
 * without failing on them; with MONGODB_URI naming a real mongod it asserts exclusivity too.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStores } from '../../src/store/index.js';
import { mongoIsExplicit, useMongoTestDb } from '../helpers/mongo.js';
import { isGone, isIntact, seedVideo, tempConfig, waitFor } from './helpers.js';
import { overlaps, readExecutionLog, startProcessNode, startThreadNode } from './nodes.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const mongoUri = useMongoTestDb('sched_nodes');

describe('several scheduler nodes on one store', () => {
  it('three threads on the embedded store: no record executed twice at once, all done', async () => {
    const t = await tempConfig();
    cleanups.push(t.cleanup);
    const stores = await openStores(t.config);
    cleanups.push(() => stores.close());
    const log = join(t.config.dataDir, 'executions.jsonl');
    const asked: string[] = [];
    for (let i = 0; i < 45; i++) asked.push(await seedVideo(stores, 1));
    const kept = await seedVideo(stores, 1);

    // Tasks wait at a gate until every node holds a claim: a node blocked at the gate holds at
    // most its batch and the one claimed ahead (6 of 45), so the others are bound to claim too,
    // however the machine schedules the threads. A task timeout far above that wait.
    const gate = join(t.config.dataDir, 'gate');
    const options = { batch: 3, poolThreads: 1, leaseMs: 600_000, taskTimeoutMs: 300_000 };
    const task = { delayMs: 10, log, gate };
    const nodes = await Promise.all([0, 1, 2].map(() => startThreadNode(t.config, options, task)));
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await Promise.all(nodes.map((n) => n.stop()));
    });
    for (const id of asked) await stores.queue.enqueueDeletion(id);
    await waitFor('a claim held by every node', async () => {
      const owners = new Set<string | undefined>();
      for (const id of asked) owners.add((await stores.queue.getDeletion(id))?.owner);
      return nodes.every((n) => owners.has(n.owner));
    });
    await writeFile(gate, '');
    await waitFor(
      'the queue drained',
      async () => (await stores.queue.countDeletions()).pending === 0,
      60_000,
    );
    const stats = await Promise.all(nodes.map((n) => n.stop()));
    stopped = true;

    const lines = await readExecutionLog(log);
    expect(overlaps(lines)).toEqual([]);
    const done = lines.filter((l) => l.outcome === 'done');
    // An atomic claim hands each record to exactly one node: each video is done exactly once.
    expect(done.map((l) => l.videoId).sort()).toEqual([...asked].sort());
    expect(new Set(done.map((l) => l.owner))).toEqual(new Set(nodes.map((n) => n.owner)));
    const total = stats.reduce((n, s) => n + s.runners['video-cleanup']!.done, 0);
    expect(total).toBe(45);
    for (const id of asked) expect(await isGone(stores, id)).toBe(true);
    expect(await isIntact(stores, kept, 1)).toBe(true);
  }, 120_000);

  it('two processes on one MongoDB: all done, nothing else deleted; exclusive on a real mongod', async () => {
    const t = await tempConfig({ MONGODB_URI: mongoUri });
    cleanups.push(t.cleanup);
    const stores = await openStores(t.config);
    cleanups.push(() => stores.close());
    const log = join(t.config.dataDir, 'executions.jsonl');
    const asked: string[] = [];
    for (let i = 0; i < 30; i++) asked.push(await seedVideo(stores, 1));
    const kept = await seedVideo(stores, 1);

    const env = { DATA_DIR: t.config.dataDir, MONGODB_URI: mongoUri, SCHEDULER_INTERVAL_MS: '50' };
    const options = { batch: 3, poolThreads: 1 };
    const task = { delayMs: 10, log };
    const nodes = await Promise.all([0, 1].map(() => startProcessNode(env, options, task)));
    cleanups.push(() => Promise.all(nodes.map((n) => n.kill())));
    for (const id of asked) await stores.queue.enqueueDeletion(id);
    await waitFor(
      'the queue drained',
      async () => (await stores.queue.countDeletions()).pending === 0,
      60_000,
    );
    expect(await Promise.all(nodes.map((n) => n.stop()))).toEqual([0, 0]);

    const lines = await readExecutionLog(log);
    const doneIds = new Set(lines.filter((l) => l.outcome === 'done').map((l) => l.videoId));
    expect(doneIds).toEqual(new Set(asked));
    for (const id of asked) expect(await isGone(stores, id)).toBe(true);
    expect(await isIntact(stores, kept, 1)).toBe(true);
    expect(await stores.queue.countDeletions()).toEqual({ pending: 0, dead: 0 });
    const clash = overlaps(lines);
    if (mongoIsExplicit()) expect(clash).toEqual([]);
    else if (clash.length > 0) {
      console.warn(`FerretDB (non-atomic findAndModify): ${clash.length} overlapping execution(s)`);
    }
  }, 120_000);
});
