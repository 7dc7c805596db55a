/**
 * piscina ends an IDLE deletion pool thread (idleTimeout; also how close() and a killed executor
 * end threads with no task) whose task left its LMDB stores open, as every pool thread keeps them
 * between tasks. A terminate() inside an lmdb-js native call aborts the process
 * (src/store/lmdb-env.ts); an idle thread runs none, so this must never crash: each iteration
 * runs a real deletion task (a lease read and a fenced write), then waits for piscina to end the
 * idle thread (its workerDestroy event) at once (idleTimeout 0: right after the task's answer,
 * while lmdb-js may still flush). A crash aborts this test's fork.
 * bench/scheduler/idle-exit-probe.ts runs the same loop longer (results: bench/results/
 * scheduler-idle-exit.md).
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeletionTask } from '../../src/scheduler/index.js';
import { workerFile } from '../../src/worker-file.js';
import { tempConfig } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const file = workerFile(import.meta.url, '../../src/scheduler/deletion.task');

describe('an idle deletion pool thread with its stores open', () => {
  it('is ended by piscina right after its task (idleTimeout 0) without a crash, 20 times', async () => {
    const t = await tempConfig();
    cleanups.push(t.cleanup);
    const pool = new Piscina({
      filename: file.path,
      execArgv: file.execArgv,
      maxThreads: 1,
      minThreads: 0,
      idleTimeout: 0,
    });
    cleanups.push(() => pool.close());
    for (let i = 0; i < 20; i++) {
      const now = Date.now();
      const task: DeletionTask = {
        config: t.config,
        videoIds: [randomUUID(), randomUUID()],
        owner: 'idle-exit',
        leaseMs: 60_000,
        deadline: now + 60_000,
        minLeaseUntil: now + 60_000,
      };
      const destroyed = once(pool, 'workerDestroy');
      const answer = await pool.run(task);
      // Nothing was claimed: both ids are 'lost', and the task answered (its stores opened).
      expect(answer.value.map((r: { outcome: string }) => r.outcome)).toEqual(['lost', 'lost']);
      await destroyed;
    }
  }, 180_000);
});
