/**
 * The log write lock's take-over bound counts per acquisition (src/log-lock.ts `lockFd`): a waiter
 * takes the lock over only from a holder that has held it, in one acquisition, for the whole
 * bound. Real threads call the module's public functions with their own bound (`stealMs`, a real
 * parameter); each counts itself inside the lock, so two threads inside at once is seen.
 *
 * Hand-offs are messages (a thread says it holds the lock, or is about to take it); the bounds
 * leave seconds of margin between what a correct lock does and what a wrong one would, so a
 * loaded machine changes when things happen, not the outcome.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, expect, it } from 'vitest';
import { EXCLUSIVE } from '../../src/log-lock.js';
import { workerFile } from '../../src/worker-file.js';
import type { LockPlan } from './lock-thread.js';

const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

/** Starts a lock-thread.ts thread; `ended` settles with the threadIds it took the lock over from. */
function lockThread(plan: Omit<LockPlan, 'shared'>, shared: SharedArrayBuffer) {
  const f = workerFile(import.meta.url, './lock-thread');
  const worker = new Worker(f.url, { execArgv: f.execArgv, workerData: { ...plan, shared } });
  workers.push(worker);
  const seen = (key: string) =>
    new Promise<void>((res) => {
      const on = (m: Record<string, unknown>) => {
        if (!(key in m)) return;
        worker.off('message', on);
        res();
      };
      worker.on('message', on);
    });
  const ready = seen('ready');
  const holding = seen('holding');
  const ended = new Promise<number[]>((res, rej) => {
    worker.on('message', (m: { takenFrom?: number[] }) => m.takenFrom && res(m.takenFrom));
    worker.once('error', rej);
  });
  return { worker, ready, holding, ended };
}

it('two threads wait on a lost holder: one takes it over, the other waits on the new holder anew', {
  timeout: 120_000,
}, async () => {
  expect(EXCLUSIVE).toBe(true); // the threads share this thread's lock memory
  const shared = new SharedArrayBuffer(8);
  const lost = lockThread({ fd: 4, stealMs: 600_000, holds: 1, holdMs: Infinity }, shared);
  await lost.holding;
  const lostId = lost.worker.threadId;
  // `late` (bound 20 s) waits first; `first` (bound 10 s) takes the lock over and holds it 12 s,
  // so `late`'s bound from its first wait ends inside that hold, which is 8 s short of its bound.
  const late = lockThread({ fd: 4, stealMs: 20_000, holds: 1, holdMs: 0 }, shared);
  await late.ready;
  const first = lockThread({ fd: 4, stealMs: 10_000, holds: 1, holdMs: 12_000 }, shared);
  expect({
    first: await first.ended,
    late: await late.ended,
    mostInside: new Int32Array(shared)[1] - 1, // `lost` is still inside
  }).toEqual({ first: [lostId], late: [], mostInside: 1 });
});
