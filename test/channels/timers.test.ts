import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recv, select, sleep, ticker, after as timeAfter } from '../../src/channels/index.js';

describe('timers (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('after fires exactly once, with the time, and is never closed', async () => {
    const ch = timeAfter(50);
    expect(ch.capacity).toBe(1);
    await vi.advanceTimersByTimeAsync(49);
    expect(ch.tryRecv()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(ch.tryRecv()).toEqual({ value: 1_050, ok: true });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ch.tryRecv()).toBeUndefined(); // not a second value, and not closed (ok=false)
  });

  it('after works as a select timeout', async () => {
    const s = select([recv(null), recv(timeAfter(10))]);
    await vi.advanceTimersByTimeAsync(10);
    expect((await s).index).toBe(1);
  });

  it('after with an aborted signal never fires', async () => {
    const ac = new AbortController();
    const ch = timeAfter(10, { signal: ac.signal });
    ac.abort();
    await vi.advanceTimersByTimeAsync(100);
    expect(ch.tryRecv()).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ticker: a slow receiver finds at most one pending tick', async () => {
    const t = ticker(10);
    await vi.advanceTimersByTimeAsync(100); // ten ticks, nobody receiving
    expect(t.length).toBe(1);
    expect(t.tryRecv()).toEqual({ value: 1_010, ok: true }); // the first; the other nine dropped
    expect(t.tryRecv()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10);
    expect(t.tryRecv()).toEqual({ value: 1_110, ok: true });
    t.stop();
  });

  it('ticker delivers to a waiting receiver on each tick', async () => {
    const t = ticker(5);
    const got: number[] = [];
    const loop = (async () => {
      for await (const at of t) if (got.push(at) === 3) break;
    })();
    await vi.advanceTimersByTimeAsync(15);
    await loop;
    expect(got).toEqual([1_005, 1_010, 1_015]);
    t.stop();
  });

  it('stop() stops the ticks without closing the channel', async () => {
    const t = ticker(10);
    const ac = new AbortController();
    const r = t.recv(ac.signal);
    t.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
    expect(t.tryRecv()).toBeUndefined(); // undefined = would block; a closed channel says ok=false
    ac.abort();
    await expect(r).rejects.toMatchObject({ name: 'AbortError' }); // it was still waiting
    t.stop(); // idempotent
  });

  it('reset(ms) changes the period from now on', async () => {
    const t = ticker(10);
    await vi.advanceTimersByTimeAsync(5);
    t.reset(30);
    await vi.advanceTimersByTimeAsync(29);
    expect(t.tryRecv()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(t.tryRecv()).toEqual({ value: 1_035, ok: true });
    expect(() => t.reset(0)).toThrow(
      expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_ARGUMENT' }),
    );
    t.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stopped tickers leave no listener on a long-lived signal', () => {
    const ac = new AbortController();
    for (let i = 0; i < 5; i++) ticker(10, { signal: ac.signal }).stop();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    const t = ticker(10, { signal: ac.signal });
    t.reset(20);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    t.stop();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('a ticker stops when its signal aborts', async () => {
    const ac = new AbortController();
    const t = ticker(10, { signal: ac.signal });
    await vi.advanceTimersByTimeAsync(10);
    ac.abort();
    await vi.advanceTimersByTimeAsync(100);
    expect(t.tryRecv()).toEqual({ value: 1_010, ok: true });
    expect(t.tryRecv()).toBeUndefined();
    t.reset(5); // an aborted ticker stays stopped
    expect(vi.getTimerCount()).toBe(0);
    expect(ticker(5, { signal: ac.signal }).length).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sleep resolves after the delay, and rejects with AbortError on abort', async () => {
    let done = false;
    const s = sleep(20).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(19);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await s;
    expect(done).toBe(true);
    const ac = new AbortController();
    const s2 = sleep(20, ac.signal);
    ac.abort('why');
    await expect(s2).rejects.toMatchObject({ name: 'AbortError', cause: 'why' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects bad durations with ERR_CHANNEL_INVALID_ARGUMENT', async () => {
    expect(() => timeAfter(-1)).toThrow(
      expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_ARGUMENT' }),
    );
    expect(() => ticker(0)).toThrow(
      expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_ARGUMENT' }),
    );
    expect(() => ticker(Number.NaN)).toThrow(/ms must be a positive/);
    await expect(sleep(Number.POSITIVE_INFINITY)).rejects.toMatchObject({
      code: 'ERR_CHANNEL_INVALID_ARGUMENT',
    });
  });
});
