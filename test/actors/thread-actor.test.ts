import { describe, expect, it } from 'vitest';
import {
  ActorStoppedError,
  AskTimeoutError,
  InvalidArgumentError,
  type SupervisorEvent,
  spawnThreadActor,
  startSupervisor,
  ThreadActor,
  WorkerExitedError,
} from '../../src/actors/index.js';
import { Channel } from '../../src/channels/index.js';
import { workerFile } from '../../src/worker-file.js';
import type { CalcApi } from '../fixtures/actors/calc.worker.js';

const calc = workerFile(import.meta.url, '../fixtures/actors/calc.worker');
const opts = { timeoutMs: 10_000 };
const workers = () => ThreadActor.live;

describe('thread actors', () => {
  it('typed calls run on the worker; coded errors come back as their own class', async () => {
    const t = await spawnThreadActor<CalcApi>(calc, { ...opts, workerData: { hello: 1 } });
    try {
      expect(await t.api.add(2, 3)).toBe(5);
      expect(await t.api.data()).toEqual({ hello: 1 });
      const err = await t.api.fail('nope').catch((e) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.code).toBe('ERR_ACTOR_INVALID_ARGUMENT');
      expect(err.message).toBe('nope');
      expect(t.pendingCalls).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('a call that takes too long rejects ERR_ASK_TIMEOUT and is forgotten', async () => {
    const t = await spawnThreadActor<CalcApi>(calc, { timeoutMs: 30 });
    try {
      await expect(t.api.hang()).rejects.toBeInstanceOf(AskTimeoutError);
      expect(t.pendingCalls).toBe(0);
    } finally {
      await t.kill();
    }
  });

  it('pending calls reject ERR_WORKER_EXITED when the worker calls process.exit', async () => {
    const t = await spawnThreadActor<CalcApi>(calc, opts);
    const hung = t.api.hang();
    const exiting = t.api.exit(3);
    await expect(hung).rejects.toBeInstanceOf(WorkerExitedError);
    await expect(exiting).rejects.toBeInstanceOf(WorkerExitedError);
    expect(await t.exited).toMatchObject({ reason: 'crashed' });
    expect(t.pendingCalls).toBe(0);
    await expect(t.api.add(1, 1)).rejects.toBeInstanceOf(ActorStoppedError);
  });

  it('stop lets pending calls finish, then ends the worker; later calls reject', async () => {
    const t = await spawnThreadActor<CalcApi>(calc, opts);
    const slow = t.api.slow(30);
    const stopped = t.stop();
    expect(t.stop()).toBe(stopped);
    expect(await slow).toBe('slow done');
    await stopped;
    expect(await t.exited).toEqual({ reason: 'stopped' });
    await expect(t.api.add(1, 2)).rejects.toBeInstanceOf(ActorStoppedError);
  });

  it('a supervisor restarts a crashed worker (exit and uncaught throw) with fresh state, leaking nothing', async () => {
    const before = workers();
    const events = new Channel<SupervisorEvent>(16);
    const sup = await startSupervisor({
      intensity: 10,
      children: [{ id: 'calc', start: () => spawnThreadActor<CalcApi>(calc, opts) }],
      onEvent: (e) => void events.trySend(e),
    });
    const cur = () => sup.child<ThreadActor<CalcApi>>('calc')!;
    try {
      for (const crash of ['exit', 'throwLater', 'exit', 'throwLater'] as const) {
        const t = cur();
        expect(await t.api.incr()).toBe(1); // fresh state in every incarnation
        const pending = t.api.hang();
        const crashing = crash === 'exit' ? t.api.exit(1) : t.api.throwLater();
        await expect(pending).rejects.toBeInstanceOf(WorkerExitedError);
        await crashing.catch(() => {});
        const e = (await events.recv()).value!;
        expect(e).toMatchObject({ type: 'restart', id: 'calc', exit: { reason: 'crashed' } });
        if (crash === 'throwLater') {
          expect((e as { exit: { error: Error } }).exit.error.message).toBe('uncaught in worker');
        }
        expect(t.pendingCalls).toBe(0);
        expect(cur()).not.toBe(t);
      }
      expect(workers()).toBe(before + 1); // only the current incarnation is alive
    } finally {
      await sup.stop();
    }
    expect(workers()).toBe(before);
  });

  it('per-worker resourceLimits: a worker over its heap limit crashes alone', async () => {
    const t = await spawnThreadActor<CalcApi>(calc, {
      ...opts,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    await expect(t.api.hog()).rejects.toBeInstanceOf(WorkerExitedError);
    const exit = await t.exited;
    expect(exit.reason).toBe('crashed');
    expect((exit as { error: { code: string } }).error.code).toBe('ERR_WORKER_OUT_OF_MEMORY');
  });

  it('validates its options', async () => {
    await expect(spawnThreadActor(calc, {} as never)).rejects.toThrow(/options.timeoutMs/);
    await expect(spawnThreadActor({} as never, opts)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
