import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Channel, WaitGroup } from '../../src/channels/index.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('WaitGroup', () => {
  it('wait resolves at once on zero, and only when the counter returns to zero', async () => {
    const wg = new WaitGroup();
    await wg.wait();
    wg.add(2);
    let woke = 0;
    const waits = [wg.wait(), wg.wait()].map((p) => p.then(() => woke++));
    wg.done();
    await flush();
    expect(woke).toBe(0);
    expect(wg.count).toBe(1);
    wg.done();
    await Promise.all(waits);
    expect(woke).toBe(2);
  });

  it('go() counts a task until it settles, even when it fails', async () => {
    const wg = new WaitGroup();
    const gate = new Channel<void>();
    const ok = wg.go(async () => {
      await gate.recv();
      return 42;
    });
    const bad = wg.go(() => {
      throw new Error('boom');
    });
    await expect(bad).rejects.toThrow('boom');
    expect(wg.count).toBe(1);
    await gate.send();
    expect(await ok).toBe(42);
    await wg.wait();
    expect(wg.count).toBe(0);
  });

  it('a negative counter throws ERR_NEGATIVE_WAITGROUP_COUNTER and stays at zero', () => {
    const wg = new WaitGroup();
    expect(() => wg.done()).toThrow(
      expect.objectContaining({ code: 'ERR_NEGATIVE_WAITGROUP_COUNTER' }),
    );
    expect(wg.count).toBe(0);
    expect(() => wg.add(1.5)).toThrow(
      expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_ARGUMENT' }),
    );
  });

  it('wait with a signal rejects with AbortError and no longer counts as a waiter', async () => {
    const wg = new WaitGroup();
    wg.add(1);
    const ac = new AbortController();
    const w = wg.wait(ac.signal);
    ac.abort();
    await expect(w).rejects.toMatchObject({ name: 'AbortError', code: 'ERR_ABORTED' });
    await expect(wg.wait(ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
    const long = new AbortController();
    const w2 = wg.wait(long.signal);
    wg.done();
    await w2;
    expect(getEventListeners(long.signal, 'abort')).toHaveLength(0);
  });
});
