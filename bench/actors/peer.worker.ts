/**
 * The worker side of the actors benchmark. One mode per run (workerData.mode):
 *   channel  — send `count` messages into a CrossThreadChannel
 *   post     — raw parentPort.postMessage of the same messages (no backpressure)
 *   credits  — the same messages through a port channel (PortSender: postMessage with credits)
 *   echo     — answer every message (raw postMessage ping-pong)
 *   limiter / limiter-inline — tryAcquire+release pairs for `ms` milliseconds, through
 *              LimiterClient, or inlined on a chosen layout (false-sharing measurement; 'held'
 *              adds the client's holder bookkeeping); answers {pairs, cpuMs}: cpuMs is this
 *              thread's own CPU time (/proc/thread-self/stat), for pairs per CPU-second
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { LimiterClient } from '../../src/actors/index.js';
import { CrossThreadChannel, type PortChannelEnd, PortSender } from '../../src/channels/index.js';

const d = workerData as {
  mode: string;
  count: number;
  shared?: SharedArrayBuffer;
  window?: number;
  ms?: number;
  start?: SharedArrayBuffer;
  layout?: 'sameline' | 'striped' | 'held';
  end?: PortChannelEnd;
  id?: number;
};
const port = parentPort!;
const msg = (i: number) => ({ i, body: 'payload-0123456789abcdef' });
// Start barrier: loading this file through tsx takes far longer than the measured work.
if (d.start !== undefined) {
  const go = new Int32Array(d.start);
  Atomics.add(go, 1, 1);
  Atomics.notify(go, 1);
  Atomics.wait(go, 0, 0);
}

if (d.mode === 'channel') {
  const ch = CrossThreadChannel.from<ReturnType<typeof msg>>(d.shared!);
  for (let i = 0; i < d.count; i++) await ch.send(msg(i));
} else if (d.mode === 'post') {
  for (let i = 0; i < d.count; i++) port.postMessage(msg(i));
} else if (d.mode === 'credits') {
  const tx = new PortSender<ReturnType<typeof msg>>(d.end!);
  for (let i = 0; i < d.count; i++) if (!tx.trySend(msg(i))) await tx.send(msg(i));
  tx.close();
} else if (d.mode === 'echo') {
  port.on('message', (m: unknown) => (m === 'stop' ? port.close() : port.postMessage(m)));
} else if (d.mode === 'limiter' || d.mode === 'limiter-inline') {
  let pairs = 0;
  const cpu0 = threadCpuMs();
  const end = performance.now() + d.ms!;
  if (d.mode === 'limiter') {
    const c = new LimiterClient(d.shared!);
    while (performance.now() < end) {
      for (let k = 0; k < 1000; k++) if (c.tryAcquire()) c.release();
      pairs += 1000;
    }
  } else {
    // LimiterClient's algorithm inlined, on a layout chosen by the run: IN_USE at word 0,
    // CAPACITY/RATE_ON on the next line; the GRANTED counter either on the IN_USE line and shared
    // by every thread ('sameline') or on this thread's own line ('striped'); 'held' is striped plus
    // atomic adds on a per-holder HELD word (+1 after the CAS, -1 after the release) on another
    // line: what LimiterClient did before HELD took a plain store.
    const a = new Int32Array(d.shared!);
    const granted = d.layout === 'sameline' ? 1 : 32 + 16 * d.id!;
    const held = d.layout === 'held' ? 32 + 16 * (d.id! + 8) : -1;
    while (performance.now() < end) {
      for (let k = 0; k < 1000; k++) {
        if (Atomics.load(a, 17) !== 0) break;
        for (;;) {
          const u = Atomics.load(a, 0);
          if (u >= Atomics.load(a, 16)) break;
          if (Atomics.compareExchange(a, 0, u, u + 1) === u) {
            if (held >= 0) Atomics.add(a, held, 1);
            Atomics.add(a, granted, 1);
            if (Atomics.sub(a, 0, 1) <= 0) throw new Error('over-release');
            if (held >= 0) Atomics.sub(a, held, 1);
            break;
          }
        }
      }
      pairs += 1000;
    }
  }
  port.postMessage({ pairs, cpuMs: threadCpuMs() - cpu0 });
}

/** This thread's CPU time (user + system) in ms, from Linux's per-thread stat (10 ms ticks). */
function threadCpuMs(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14, 15), CLK_TCK 100
}
