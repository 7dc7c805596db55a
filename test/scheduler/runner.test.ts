/**
 * Runner and Ticker semantics on their own (no store): the seed's shape without its defects.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Runner, type RunnerOptions, StatsBoard, Ticker } from '../../src/scheduler/index.js';
import { waitFor } from './helpers.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A runner over an in-memory queue; `events` records the order of calls. */
function queueRunner(items: number[], over: Partial<RunnerOptions<number>> = {}) {
  const events: string[] = [];
  const executed: number[] = [];
  const runner = new Runner<number>({
    name: 'q',
    size: 3,
    longLived: true,
    dispatcher: async (data, ctx) => {
      events.push(`d${ctx.batch}`);
      let n = 0;
      while (n < data.capacity && items.length > 0) {
        data.trySend(items.shift()!);
        n++;
      }
      return n;
    },
    executor: async (data, count, ctx) => {
      events.push(`e${ctx.batch}:${count}`);
      for (let i = 0; i < count; i++) executed.push(data.tryRecv()!.value as number);
      await new Promise((r) => setTimeout(r, 5));
      events.push(`e${ctx.batch}:end`);
    },
    ...over,
  });
  return { runner, events, executed };
}

describe('Runner', () => {
  it('alternates dispatch and execute until the dispatcher finds nothing', async () => {
    const { runner, events, executed } = queueRunner([1, 2, 3, 4, 5, 6, 7]);
    const res = await runner.startAll();
    expect(res).toEqual({ reason: 'finished', batches: 3, error: undefined });
    expect(executed).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The next dispatch starts only after the executor has finished its whole batch.
    expect(events).toEqual([
      'd0',
      'e0:3',
      'e0:end',
      'd1',
      'e1:3',
      'e1:end',
      'd2',
      'e2:1',
      'e2:end',
      'd3',
    ]);
    expect(runner.Controller.length + runner.Error.length + runner.Data.length).toBe(0);
  });

  it('runs at most one round at a time; startAll during a round starts nothing', async () => {
    const gate = deferred();
    let active = 0;
    let maxActive = 0;
    let dispatches = 0;
    const runner = new Runner<number>({
      name: 'one',
      size: 1,
      longLived: true,
      dispatcher: async (data) => {
        active++;
        maxActive = Math.max(maxActive, active);
        dispatches++;
        if (dispatches === 1) await gate.promise;
        active--;
        if (dispatches > 1) return 0;
        data.trySend(1);
        return 1;
      },
      executor: async (data) => {
        data.tryRecv();
      },
    });
    const first = runner.startAll();
    expect(first).toBeInstanceOf(Promise);
    for (let i = 0; i < 5; i++) expect(runner.startAll()).toBeUndefined();
    expect(runner.running).toBe(true);
    gate.resolve();
    expect(await first).toMatchObject({ reason: 'finished', batches: 1 });
    expect(maxActive).toBe(1);
    expect(runner.running).toBe(false);
    // A new round can start once the previous one is over.
    expect(await runner.startAll()).toMatchObject({ reason: 'finished', batches: 0 });
  });

  it('ends the round on an executor error, reports it, and stays usable', async () => {
    const boom = new Error('boom');
    let fail = true;
    const { runner } = queueRunner([1, 2, 3, 4], {
      executor: async (data, count) => {
        for (let i = 0; i < count; i++) data.tryRecv();
        if (fail) throw boom;
      },
    });
    const res = await runner.startAll();
    expect(res).toEqual({ reason: 'error', batches: 1, error: boom });
    expect(runner.Data.length).toBe(0);
    fail = false;
    expect(await runner.startAll()).toMatchObject({ reason: 'finished', batches: 1 });
  });

  it('ends the round on a dispatcher error and drains what it had sent', async () => {
    const boom = new Error('claim failed');
    const { runner } = queueRunner([], {
      dispatcher: async (data) => {
        data.trySend(9);
        throw boom;
      },
    });
    expect(await runner.startAll()).toEqual({ reason: 'error', batches: 0, error: boom });
    expect(runner.Data.length).toBe(0);
  });

  it('reports an executor that left items in Data as an error', async () => {
    const { runner } = queueRunner([1, 2, 3], { executor: async () => {} });
    const res = await runner.startAll()!;
    expect(res.reason).toBe('error');
    expect((res.error as Error).message).toMatch(/left 3 item/);
    expect(runner.Data.length).toBe(0);
  });

  it('finishes the batch in hand and starts no new one once aborted', async () => {
    const ac = new AbortController();
    const { runner, executed } = queueRunner([1, 2, 3, 4, 5, 6], {
      executor: async (data, count) => {
        ac.abort(); // the owner closes while this batch runs
        await new Promise((r) => setTimeout(r, 5));
        for (let i = 0; i < count; i++) executed.push(data.tryRecv()!.value as number);
      },
    });
    expect(await runner.startAll(ac.signal)).toMatchObject({ reason: 'aborted', batches: 1 });
    expect(executed).toEqual([1, 2, 3]);
  });

  it('closes its channels after the round when not long-lived (the seed)', async () => {
    const { runner } = queueRunner([1], { longLived: false });
    expect(await runner.startAll()).toMatchObject({ reason: 'finished' });
    expect(runner.Controller.tryRecv()).toEqual({ value: undefined, ok: false });
    expect(() => runner.startAll()).toThrow(expect.objectContaining({ code: 'ERR_RUNNER_CLOSED' }));
  });

  it('rejects a bad size with a coded error naming the option', () => {
    expect(() => queueRunner([], { size: 0 })).toThrow(
      expect.objectContaining({
        code: 'ERR_SCHEDULER_OPTION',
        message: expect.stringMatching(/options\.size/),
      }),
    );
  });
});

describe('Ticker', () => {
  it('coalesces ticks while a round is in flight and waits for it on stop', async () => {
    const gate = deferred();
    let active = 0;
    let maxActive = 0;
    let finishedBatches = 0;
    const runner = new Runner<number>({
      name: 'slow',
      size: 1,
      longLived: true,
      dispatcher: async (data, ctx) => {
        if (ctx.batch > 0) return 0;
        data.trySend(1);
        return 1;
      },
      executor: async (data) => {
        active++;
        maxActive = Math.max(maxActive, active);
        data.tryRecv();
        await gate.promise;
        active--;
        finishedBatches++;
      },
    });
    const board = new StatsBoard(['slow']);
    const worker = new Ticker({
      intervalMs: 10,
      runners: [{ runner, everyTicks: 1 }],
      board,
      log: createLogger('test', 100),
      runAtStart: true,
    });
    worker.start();
    await waitFor('five coalesced ticks', () => board.get(0, 'coalesced') >= 5);
    expect(board.get(0, 'rounds')).toBe(1);
    expect(board.get(0, 'inFlight')).toBe(1);
    const stopped = worker.stop(5000);
    gate.resolve();
    expect(await stopped).toBe(true);
    expect(finishedBatches).toBe(1);
    expect(maxActive).toBe(1);
    expect(board.get(0, 'inFlight')).toBe(0);
  });

  it('starts a round every N-th tick for a runner scheduled less often', async () => {
    let rounds = 0;
    const mk = (name: string) =>
      new Runner<number>({
        name,
        size: 1,
        longLived: true,
        dispatcher: async () => {
          if (name === 'often') rounds++;
          return 0;
        },
        executor: async () => {},
      });
    const board = new StatsBoard(['often', 'rare']);
    const worker = new Ticker({
      intervalMs: 5,
      runners: [
        { runner: mk('often'), everyTicks: 1 },
        { runner: mk('rare'), everyTicks: 4 },
      ],
      board,
      log: createLogger('test', 100),
      runAtStart: false,
    });
    worker.start();
    await waitFor('eight rounds of the frequent runner', () => board.get(0, 'rounds') >= 8);
    expect(await worker.stop(1000)).toBe(true);
    const often = board.get(0, 'rounds');
    const rare = board.get(1, 'rounds');
    expect(rounds).toBe(often);
    // Exact under any load: the loop numbers the ticks it receives (a tick dropped while the
    // machine stalls is never numbered), and these rounds end within the tick that started them
    // (no timer in them), so none is coalesced. Ticks 1..n start n rounds of the frequent runner
    // and floor(n / 4) of the rare one.
    expect(board.get(0, 'coalesced')).toBe(0);
    expect(board.get(1, 'coalesced')).toBe(0);
    expect(rare).toBe(Math.floor(often / 4));
  });
});
