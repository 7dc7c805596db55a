/**
 * `npm run bench:channels` (second part): CrossThreadChannel between threads, one producer
 * thread → the main thread, per codec, batched (sendMany runs of 256 → tryRecvMany/recvMany;
 * for 32-byte records also sendRecords → tryRecvRecords/recvRecords into one reused buffer)
 * and value by value (try-first idiom). Best of BENCH_RUNS (default 3); writes
 * bench/results/channels-cross-thread.md with the machine and load average.
 * Goals (issue 15): ≥ 5 M msgs/s for numbers and fixed-size records, ≥ 1 M for small objects.
 */
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { type CodecName, CrossThreadChannel } from '../../src/channels/index.js';
import { workerFile } from '../../src/worker-file.js';
import { indexOf, type Kind, recordIndex } from './cross-thread-values.js';
import { machine } from './machine.js';

const producer = workerFile(import.meta.url, './cross-thread.worker');
const RUNS = Number(process.env.BENCH_RUNS ?? '3');
const quick = process.argv.includes('--quick');
/** BENCH_ONLY=text: run only the rows whose label contains it (the results file is not written). */
const only = process.env.BENCH_ONLY;

async function stream(kind: Kind, codec: CodecName, batch: number, count: number) {
  const slotBytes = kind === 'f64' ? 8 : kind === 'bytes' || kind === 'records' ? 32 : 128;
  const ch = new CrossThreadChannel<unknown>({ capacity: 1024, slotBytes, codec });
  const start = new SharedArrayBuffer(8);
  const gate = new Int32Array(start);
  const w = new Worker(producer.url, {
    execArgv: producer.execArgv,
    workerData: { shared: ch.shared, start, kind, count, batch },
  });
  // Start barrier: loading the worker through tsx takes far longer than the measured work.
  while (Atomics.load(gate, 1) < 1) await new Promise((r) => setTimeout(r, 1));
  const index = indexOf(kind);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  let n = 0;
  const dst = new Uint8Array(batch * 32);
  for (;;) {
    if (kind === 'records') {
      const got = ch.tryRecvRecords(dst) ?? (await ch.recvRecords(dst));
      if (got === 0) break;
      for (let k = 0; k < got; k++) if (recordIndex(dst, k * 32) !== n++) throw new Error('order');
    } else if (batch === 1) {
      const r = ch.tryRecv() ?? (await ch.recv());
      if (!r.ok) break;
      if (index(r.value) !== n++) throw new Error('out of order');
    } else {
      const vs = ch.tryRecvMany(batch) ?? (await ch.recvMany(batch));
      if (vs.length === 0) break;
      for (let k = 0; k < vs.length; k++) if (index(vs[k]) !== n++) throw new Error('out of order');
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await w.terminate();
  if (n !== count) throw new Error(`lost values: ${n} of ${count}`);
  return { rate: count / secs, perCpu: count / ((cpu.user + cpu.system) / 1e6) };
}

const ROWS: Array<{ label: string; kind: Kind; codec: CodecName; batch: number; goal: number }> = [
  { label: 'numbers (f64), batches of 256', kind: 'f64', codec: 'f64', batch: 256, goal: 5e6 },
  {
    label: '32-byte records (bytes), batches of 256',
    kind: 'bytes',
    codec: 'bytes',
    batch: 256,
    goal: 5e6,
  },
  {
    label: '32-byte records (bytes, sendRecords → tryRecvRecords), batches of 256',
    kind: 'records',
    codec: 'bytes',
    batch: 256,
    goal: 5e6,
  },
  {
    label: 'small objects (json), batches of 256',
    kind: 'object',
    codec: 'json',
    batch: 256,
    goal: 1e6,
  },
  {
    label: 'small objects (structured), batches of 256',
    kind: 'object',
    codec: 'structured',
    batch: 256,
    goal: 0,
  },
  { label: 'numbers (f64), one by one', kind: 'f64', codec: 'f64', batch: 1, goal: 0 },
  { label: 'small objects (json), one by one', kind: 'object', codec: 'json', batch: 1, goal: 0 },
  {
    label: 'small objects (structured), one by one',
    kind: 'object',
    codec: 'structured',
    batch: 1,
    goal: 0,
  },
];

const fmt = (r: number) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : `${(r / 1e3).toFixed(0)}k`);
const best = new Map<string, { rate: number; perCpu: number }>();
const loads: string[] = [];
for (let round = 0; round < RUNS; round++) {
  for (const r of ROWS) {
    if (only !== undefined && !r.label.includes(only)) continue;
    const slow = r.codec === 'structured' || r.batch === 1;
    const count = (slow ? 200_000 : 2_000_000) / (quick ? 10 : 1);
    const got = await stream(r.kind, r.codec, r.batch, count);
    const prev = best.get(r.label);
    if (!prev || got.rate > prev.rate) best.set(r.label, got);
  }
  loads.push((await import('node:os')).loadavg()[0]!.toFixed(1));
  console.log(`round ${round + 1}/${RUNS} done (load ${loads.at(-1)})`);
}
const lines = ROWS.filter((r) => best.has(r.label)).map((r) => {
  const b = best.get(r.label)!;
  const goal = r.goal === 0 ? '' : `${fmt(r.goal)}: ${b.rate >= r.goal ? 'met' : 'missed'}`;
  return `| ${r.label} | ${fmt(b.rate)} | ${fmt(b.perCpu)} | ${goal} |`;
});
const md = `# Cross-thread channels (CrossThreadChannel between threads)

\`npm run bench:channels\` (second part, bench/channels/cross-thread.ts) — one producer thread →
the main thread, capacity 1024, best of ${RUNS} rounds. Batched: \`sendMany\` runs of 256 →
\`tryRecvMany(256) ?? await recvMany(256)\`; records: \`sendRecords\` of 256 packed 32-byte records
→ \`tryRecvRecords(dst) ?? await recvRecords(dst)\` into one reused buffer; one by one: \`trySend(v) || await send(v)\` →
\`tryRecv() ?? await recv()\`. "per CPU-second" divides by the CPU time of the whole process (both
threads), so it does not move with other jobs' load as much as the wall-clock rate does.

| values (codec) | msgs/s | msgs per CPU-second | goal |
|---|---:|---:|---|
${lines.join('\n')}

Load average (1 min) after each round: ${loads.join(', ')} — on 2 cores; wall-clock rates are
lower bounds under this load.

## Machine

${machine()}
`;
console.log(md);
if (!quick && only === undefined)
  writeFileSync(new URL('../results/channels-cross-thread.md', import.meta.url), md);
