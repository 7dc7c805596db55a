import { afterEach, describe, expect, it } from 'vitest';
import {
  createPool,
  InvalidArgumentError,
  type Pool,
  PoolClosedError,
  TaskAbortedError,
} from '../../src/actors/index.js';
import { defineErrors } from '../../src/errors.js';
import { workerFile } from '../../src/worker-file.js';
import type { Task } from '../fixtures/actors/pool.task.js';

const file = workerFile(import.meta.url, '../fixtures/actors/pool.task');
let pool: Pool<Task, unknown> | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

class CustomError extends Error {
  readonly code = 'ERR_TEST_CUSTOM';
}
defineErrors('test', { ERR_TEST_CUSTOM: CustomError });
type CodedError = Error & { code: string };
const unexpected = (): never => {
  throw new Error('expected a rejection');
};
// lib is ES2023 in tsconfig; Atomics.waitAsync exists at run time on Node 20.
const waitAsync = (
  Atomics as unknown as {
    waitAsync: (
      a: Int32Array,
      i: number,
      v: number,
    ) => { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

describe('createPool', () => {
  it('runs several tasks at once on one thread with tasksPerThread', async () => {
    pool = createPool<Task, unknown>({ file, threads: 1, tasksPerThread: 2 });
    const sab = new SharedArrayBuffer(4);
    const ids = await Promise.all([pool.run({ op: 'meet', sab }), pool.run({ op: 'meet', sab })]);
    expect(new Set(ids).size).toBe(1);
    expect(() => createPool({ file, tasksPerThread: 0 })).toThrow(/options.tasksPerThread/);
  });

  it('runs tasks on up to `threads` threads at once', async () => {
    pool = createPool<Task, unknown>({ file, threads: 2 });
    expect(await pool.run({ op: 'square', n: 7 })).toBe(49);
    const sab = new SharedArrayBuffer(4);
    const ids = await Promise.all([
      pool.run({ op: 'rendezvous', sab }),
      pool.run({ op: 'rendezvous', sab }),
    ]);
    expect(new Set(ids).size).toBe(2);
  });

  it('errors thrown in a task come back as the same class, by code', async () => {
    pool = createPool<Task, unknown>({ file, threads: 1 });
    const e1 = await pool.run({ op: 'fail' }).then(unexpected, (e: unknown) => e as CodedError);
    expect(e1).toBeInstanceOf(InvalidArgumentError);
    expect(e1.message).toBe('bad task');
    const e2 = await pool
      .run({ op: 'fail-coded', code: 'ERR_TEST_CUSTOM' })
      .then(unexpected, (e: unknown) => e as CodedError);
    expect(e2).toBeInstanceOf(CustomError);
    expect(e2.message).toBe('custom failure');
    const e3 = await pool
      .run({ op: 'fail-coded', code: 'ERR_NOBODY_KNOWS' })
      .then(unexpected, (e: unknown) => e as CodedError);
    expect(e3.code).toBe('ERR_NOBODY_KNOWS');
    expect(e3.name).toBe('Error');
  });

  it('an AbortSignal aborts a running task with ERR_TASK_ABORTED; the pool keeps working', async () => {
    pool = createPool<Task, unknown>({ file, threads: 1 });
    const sab = new SharedArrayBuffer(8);
    const ac = new AbortController();
    const running = pool.run({ op: 'block', sab }, { signal: ac.signal });
    const started = waitAsync(new Int32Array(sab), 1, 0);
    if (started.async) await started.value;
    ac.abort();
    const err = await running.then(unexpected, (e: unknown) => e as CodedError);
    expect(err).toBeInstanceOf(TaskAbortedError);
    expect(err.code).toBe('ERR_TASK_ABORTED');
    expect(await pool.run({ op: 'square', n: 3 })).toBe(9);
    const pre = new AbortController();
    pre.abort();
    await expect(pool.run({ op: 'square', n: 1 }, { signal: pre.signal })).rejects.toBeInstanceOf(
      TaskAbortedError,
    );
  });

  it('a closed pool rejects new tasks with ERR_POOL_CLOSED; close is idempotent', async () => {
    pool = createPool<Task, unknown>({ file, threads: 1 });
    const c1 = pool.close();
    expect(pool.close()).toBe(c1);
    await c1;
    await expect(pool.run({ op: 'square', n: 2 })).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('close lets every running task finish before it ends the threads', async () => {
    // piscina's own close() resolved once the first of two running tasks ended and destroyed the
    // thread still running the other (a pool thread inside lmdb-js then aborts the process).
    pool = createPool<Task, unknown>({ file, threads: 2 });
    const sabs = [new SharedArrayBuffer(8), new SharedArrayBuffer(8)];
    const running = sabs.map((sab) => pool!.run({ op: 'block', sab }));
    for (const sab of sabs) {
      const started = waitAsync(new Int32Array(sab), 1, 0);
      if (started.async) await started.value;
    }
    let closed = false;
    const closing = pool.close().then(() => (closed = true));
    const release = (sab: SharedArrayBuffer) => {
      Atomics.store(new Int32Array(sab), 0, 1);
      Atomics.notify(new Int32Array(sab), 0);
    };
    release(sabs[0]!);
    expect(await running[0]).toBe('released');
    // Room for a close that does not wait to end the other thread (it did within milliseconds);
    // with the wait, the outcome does not depend on this delay.
    await new Promise((r) => setTimeout(r, 500));
    expect(closed).toBe(false);
    release(sabs[1]!);
    expect(await running[1]).toBe('released');
    await closing;
    await expect(pool.run({ op: 'square', n: 2 })).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('validates options, naming the option; idleTimeoutMs 0 is refused', () => {
    expect(() => createPool({ file, idleTimeoutMs: 0 })).toThrow(/options.idleTimeoutMs/);
    expect(() => createPool({ file, threads: 0 })).toThrow(/options.threads/);
    expect(() => createPool({ file, threads: 1, minThreads: 2 })).toThrow(/options.minThreads/);
    expect(() => createPool({ file: {} as never })).toThrow(InvalidArgumentError);
  });
});
