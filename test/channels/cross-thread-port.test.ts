import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createPortChannel, PortReceiver, PortSender } from '../../src/channels/index.js';
import { workerFile } from '../../src/worker-file.js';

const peer = workerFile(import.meta.url, '../fixtures/actors/channel-peer.worker');
const started: Worker[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.terminate()));
});

const turn = () => new Promise<void>((r) => setTimeout(r, 10));
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );

function pair<T>(capacity: number) {
  const { sendEnd, recvEnd } = createPortChannel(capacity);
  const tx = new PortSender<T>(sendEnd);
  const rx = new PortReceiver<T>(recvEnd);
  return { tx, rx };
}

describe('port channel (MessagePort with credits)', () => {
  it('is FIFO; the sender runs out of credits at capacity and gets them back as values are consumed', async () => {
    const { tx, rx } = pair<number>(4);
    for (let i = 0; i < 4; i++) expect(tx.trySend(i)).toBe(true);
    expect(tx.trySend(99)).toBe(false); // no credit: at most `capacity` in flight
    expect(tx.length).toBe(4);
    const blocked = tx.send(4);
    let sent = false;
    void blocked.then(() => (sent = true));
    await turn();
    expect(sent).toBe(false);
    for (let i = 0; i < 5; i++) expect(await rx.recv()).toEqual({ value: i, ok: true });
    await blocked;
    expect(rx.tryRecv()).toBeUndefined();
  });

  it('close: receivers drain then see ok=false; blocked and later sends reject; twice throws', async () => {
    const { tx, rx } = pair<string>(1);
    await tx.send('a');
    const blocked = tx.send('b');
    tx.close();
    expect(await code(blocked)).toBe('ERR_SEND_ON_CLOSED');
    expect(await code(tx.send('c'))).toBe('ERR_SEND_ON_CLOSED');
    expect(() => tx.close()).toThrow(expect.objectContaining({ code: 'ERR_CLOSE_OF_CLOSED' }));
    expect(await rx.recv()).toEqual({ value: 'a', ok: true });
    expect(await rx.recv()).toEqual({ value: undefined, ok: false });
    expect(rx.tryRecv()).toEqual({ value: undefined, ok: false });
  });

  it('aborting blocked operations rejects them and leaves the channel usable', async () => {
    const { tx, rx } = pair<number>(1);
    const ac = new AbortController();
    const r = rx.recv(ac.signal);
    ac.abort();
    expect(await code(r)).toBe('ERR_ABORTED');
    tx.trySend(1);
    const ac2 = new AbortController();
    const s = tx.send(2, ac2.signal);
    ac2.abort();
    expect(await code(s)).toBe('ERR_ABORTED');
    expect(await rx.recv()).toEqual({ value: 1, ok: true });
    await tx.send(3);
    expect(await rx.recv()).toEqual({ value: 3, ok: true });
    expect(() => createPortChannel(0)).toThrow(
      expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_OPTION' }),
    );
    expect(() => new PortSender({} as never)).toThrow(/createPortChannel/);
  });

  it('a producer thread waits at `capacity` values in flight, then streams in order', async () => {
    const capacity = 8;
    const { sendEnd, recvEnd } = createPortChannel(capacity);
    const rx = new PortReceiver<{ i: number }>(recvEnd);
    const progress = new SharedArrayBuffer(4);
    const done = new Int32Array(progress);
    const count = 3000;
    const w = new Worker(peer.url, {
      execArgv: peer.execArgv,
      workerData: { mode: 'port-produce', end: sendEnd, count, progress },
      transferList: [sendEnd.port],
    });
    started.push(w);
    while (Atomics.load(done, 0) < capacity) await turn();
    await new Promise((r) => setTimeout(r, 100)); // ample time to run ahead, if it could
    expect(Atomics.load(done, 0)).toBe(capacity);
    expect(rx.length).toBeLessThanOrEqual(capacity);
    let n = 0;
    for await (const v of rx) {
      expect(v.i).toBe(n++);
      expect(rx.length).toBeLessThanOrEqual(capacity);
    }
    expect(n).toBe(count);
  });

  it('a consumer thread gets every value, then the close; its exit fails a blocked sender', async () => {
    const { sendEnd, recvEnd } = createPortChannel(2);
    const tx = new PortSender<number>(sendEnd);
    const w = new Worker(peer.url, {
      execArgv: peer.execArgv,
      workerData: { mode: 'port-consume', end: recvEnd },
      transferList: [recvEnd.port],
    });
    started.push(w);
    expect((await once(w, 'message'))[0]).toBe('ready');
    for (let i = 0; i < 500; i++) await tx.send(i);
    tx.close();
    const [{ got }] = (await once(w, 'message')) as [{ got: number[] }];
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => i));

    const again = createPortChannel(1);
    const tx2 = new PortSender<number>(again.sendEnd);
    const w2 = new Worker(peer.url, {
      execArgv: peer.execArgv,
      workerData: { mode: 'port-consume', end: again.recvEnd },
      transferList: [again.recvEnd.port],
    });
    started.push(w2);
    expect((await once(w2, 'message'))[0]).toBe('ready');
    await w2.terminate();
    const late = [tx2.send(1), tx2.send(2), tx2.send(3)];
    const codes = await Promise.all(late.map(code));
    expect(codes).toContain('ERR_SEND_ON_CLOSED');
  });
});
