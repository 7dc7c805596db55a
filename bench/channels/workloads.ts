/**
 * The workloads, written once against the Adapter interface and mirroring
 * bench/go/channels/main.go. Each returns the number of messages moved (a ping-pong round trip
 * is two). `bufferedTry` is the same traffic as `buffered`, written with the try-first idiom
 * (`trySend(v) || await send(v)`, `tryRecv() ?? await recv()`) that skips a promise whenever the
 * channel is ready; Go has no such distinction, so it is compared with Go's `buffered`.
 */
import type { Adapter } from './adapters.js';

export type Workload = (a: Adapter, n: number) => Promise<number>;

async function pingPong(a: Adapter, n: number): Promise<number> {
  const ping = a.make(0);
  const pong = a.make(0);
  const echo = (async () => {
    for await (const v of ping) await pong.send(v);
  })();
  for (let i = 0; i < n; i++) {
    await ping.send(i);
    await pong.recv();
  }
  ping.close();
  await echo;
  return 2 * n;
}

function check(sum: number, n: number): void {
  if (sum !== (n * (n - 1)) / 2) throw new Error('buffered: lost values');
}

async function buffered(a: Adapter, n: number): Promise<number> {
  const ch = a.make(128);
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ch.send(i);
    ch.close();
  })();
  let sum = 0;
  for await (const v of ch) sum += v;
  await producer;
  check(sum, n);
  return n;
}

async function bufferedTry(a: Adapter, n: number): Promise<number> {
  const ch = a.make(128);
  const producer = (async () => {
    for (let i = 0; i < n; i++) if (!ch.trySend(i)) await ch.send(i);
    ch.close();
  })();
  let sum = 0;
  for (;;) {
    const v = ch.got(ch.tryRecv() ?? (await ch.recv()));
    if (v === undefined) break;
    sum += v;
  }
  await producer;
  check(sum, n);
  return n;
}

async function selectLoop(a: Adapter, n: number): Promise<number> {
  const ca = a.make(0);
  const cb = a.make(0);
  const half = n >> 1;
  const producers = [ca, cb].map(async (c) => {
    for (let i = 0; i < half; i++) await c.send(i);
  });
  const next = a.select2(ca, cb);
  for (let i = 0; i < 2 * half; i++) await next();
  await Promise.all(producers);
  return 2 * half;
}

async function tryLoop(a: Adapter, n: number): Promise<number> {
  const ch = a.make(128);
  let got = 0;
  for (let i = 0; i < n; i++) {
    ch.trySend(i);
    if (ch.got(ch.tryRecv()) !== undefined) got++;
  }
  if (got !== n) throw new Error('tryLoop: lost values');
  return n;
}

/** name → workload, its size at scale 1, and the Go figure it is compared with. */
export const workloads: Record<string, { run: Workload; n: number; go: string }> = {
  pingPong: { run: pingPong, n: 300_000, go: 'pingPong' },
  buffered: { run: buffered, n: 1_000_000, go: 'buffered' },
  bufferedTry: { run: bufferedTry, n: 2_000_000, go: 'buffered' },
  select: { run: selectLoop, n: 600_000, go: 'select' },
  trySendRecv: { run: tryLoop, n: 2_000_000, go: 'trySendRecv' },
};
