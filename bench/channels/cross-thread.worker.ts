/**
 * Producer thread of the cross-thread benchmark: waits at the start barrier, then sends `count`
 * values of one kind into a CrossThreadChannel, in sendMany runs of `batch` (batch 1 = one
 * `trySend(v) || await send(v)` per value; kind 'records': sendRecords of `batch` 32-byte
 * records packed in one reused block).
 */
import { workerData } from 'node:worker_threads';
import { CrossThreadChannel } from '../../src/channels/index.js';
import { fillRecords, type Kind, makeValue } from './cross-thread-values.js';

const d = workerData as {
  shared: SharedArrayBuffer;
  start: SharedArrayBuffer;
  kind: Kind;
  count: number;
  batch: number;
};
const gate = new Int32Array(d.start);
Atomics.add(gate, 1, 1);
Atomics.notify(gate, 1);
Atomics.wait(gate, 0, 0);

const ch = CrossThreadChannel.from<unknown>(d.shared);
const value = d.kind === 'records' ? undefined! : makeValue(d.kind);
if (d.kind === 'records') {
  const block = new Uint8Array(d.batch * 32);
  for (let i = 0; i < d.count; i += d.batch) {
    await ch.sendRecords(fillRecords(block, i, Math.min(d.batch, d.count - i)), 32);
  }
} else if (d.batch === 1) {
  for (let i = 0; i < d.count; i++) {
    const v = value(i);
    if (!ch.trySend(v)) await ch.send(v);
  }
} else {
  const run: unknown[] = [];
  for (let i = 0; i < d.count; i += d.batch) {
    const n = Math.min(d.batch, d.count - i);
    run.length = n;
    for (let k = 0; k < n; k++) run[k] = value(i + k);
    await ch.sendMany(run);
  }
}
ch.close();
