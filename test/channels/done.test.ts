import { describe, expect, it } from 'vitest';
import { Channel, done, recv, select } from '../../src/channels/index.js';

describe('done(signal)', () => {
  it('is a channel closed when the signal aborts, usable in select', async () => {
    const ac = new AbortController();
    const work = new Channel<number>();
    const d = done(ac.signal);
    expect(d.tryRecv()).toBeUndefined();
    const s = select([recv(work), recv(d)]);
    ac.abort();
    expect(await s).toEqual({ index: 1, value: undefined, ok: false });
    expect(await d.recv()).toEqual({ value: undefined, ok: false });
  });

  it('is closed already for an aborted signal, and is one channel per signal', () => {
    const ac = new AbortController();
    expect(done(ac.signal)).toBe(done(ac.signal));
    const aborted = AbortSignal.abort();
    expect(done(aborted).tryRecv()).toEqual({ value: undefined, ok: false });
  });
});
