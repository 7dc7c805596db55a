/**
 * drainOnCrash (src/scheduler/crash-drain.ts) on a real worker thread: the first uncaught
 * exception (or unhandled rejection) is logged and drained, later ones only logged; the thread
 * then ends with that first error (its 'error' event, exit code 1) — after its drain, or at the
 * drain's bound when the drain never ends. No timing assertions: the order of messages is what
 * counts.
 */
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { workerFile } from '../../src/worker-file.js';

const file = workerFile(import.meta.url, '../fixtures/scheduler/crash-drain.worker');

type Message = { log?: [string, Record<string, unknown>]; drained?: true; refused?: boolean };

async function crash(data: { how: string; drainMs: number | null; boundMs: number }) {
  const w = new Worker(file.url, { execArgv: file.execArgv, workerData: data });
  const messages: Message[] = [];
  w.on('message', (m: Message) => messages.push(m));
  const errors: unknown[] = [];
  w.on('error', (e) => errors.push(e));
  // Not events.once: it rejects on the 'error' event this test expects.
  const code = await new Promise<number>((r) => w.once('exit', r));
  return { code, errors, messages };
}

it.each(['throw', 'reject'] as const)(
  'an uncaught %s is logged, drained, then ends the thread with that error',
  async (how) => {
    const { code, errors, messages } = await crash({ how, drainMs: 50, boundMs: 60_000 });
    expect(code).toBe(1);
    expect(errors.map((e) => (e as Error).message)).toEqual(['first']);
    expect(messages.map((m) => m.refused).filter((r) => r !== undefined)).toEqual([false, true]);
    const logs = messages.filter((m) => m.log).map((m) => m.log!);
    expect(logs.map(([msg]) => msg)).toEqual([
      'test thread crashed: draining its pool, then ending',
    ]);
    expect(JSON.stringify(logs[0]![1])).toContain('first');
    // Ended after the drain, not before.
    expect(messages.at(-1)).toEqual({ drained: true });
  },
  30_000,
);

it('a drain that never ends is cut at its bound: the thread still ends with the first error', async () => {
  const { code, errors, messages } = await crash({ how: 'throw', drainMs: null, boundMs: 200 });
  expect(code).toBe(1);
  expect(errors.map((e) => (e as Error).message)).toEqual(['first']);
  expect(messages.filter((m) => m.log).map((m) => m.log![0])).toEqual([
    'test thread crashed: draining its pool, then ending',
    "test thread's crash drain ran past its bound: ending it anyway",
  ]);
}, 30_000);

it('a second uncaught exception while draining is only logged', async () => {
  const { code, errors, messages } = await crash({ how: 'twice', drainMs: 2000, boundMs: 60_000 });
  expect(code).toBe(1);
  expect(errors.map((e) => (e as Error).message)).toEqual(['first']);
  expect(messages.filter((m) => m.log).map((m) => m.log![0])).toEqual([
    'test thread crashed: draining its pool, then ending',
    'uncaught exception while the test thread drains',
  ]);
  expect(messages.at(-1)).toEqual({ drained: true });
}, 30_000);
