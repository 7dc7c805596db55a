/**
 * npm run bench:actors — side by side in one run, ratios printed, results in bench/results/actors.md.
 *   1. streaming N messages from a worker: CrossThreadChannel (shared-memory ring) vs raw
 *      postMessage vs the port channel (postMessage with credits: backpressure);
 *   2. request/reply round trip: in-thread actor ask, thread actor (comlink), raw postMessage;
 *   3. limiter tryAcquire+release pairs/s from 1 and from N threads (striped vs same-line stats).
 * Never a timed test: numbers only; machines here are shared and noisy.
 */
import { execSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { Worker } from 'node:worker_threads';
import { spawn, spawnLimiter, spawnThreadActor } from '../../src/actors/index.js';
import { CrossThreadChannel, createPortChannel, PortReceiver } from '../../src/channels/index.js';
import { workerFile } from '../../src/worker-file.js';
import type { EchoApi } from './echo.actor.js';

const peer = workerFile(import.meta.url, './peer.worker');
const echo = workerFile(import.meta.url, './echo.actor');
const quick = process.argv.includes('--quick');
const COUNT = quick ? 20_000 : 200_000;
const TRIPS = quick ? 2_000 : 20_000;
const LIMITER_MS = quick ? 200 : 1000;

const startWorker = (data: Record<string, unknown>) =>
  new Worker(peer.url, { execArgv: peer.execArgv, workerData: data });

/** Start `n` workers that wait at a barrier; `go()` releases them all at once. */
async function startAll(n: number, data: Record<string, unknown>) {
  const start = new SharedArrayBuffer(8);
  const gate = new Int32Array(start);
  const ws = Array.from({ length: n }, (_, id) => startWorker({ ...data, start, id }));
  while (Atomics.load(gate, 1) < n) await new Promise((r) => setTimeout(r, 1));
  return {
    ws,
    go: () => {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    },
  };
}

async function streamChannel(codec: 'structured' | 'json'): Promise<number> {
  const ch = new CrossThreadChannel<{ i: number }>({ capacity: 256, slotBytes: 128, codec });
  const { ws, go } = await startAll(1, { mode: 'channel', count: COUNT, shared: ch.shared });
  const w = ws[0]!;
  const t0 = performance.now();
  go();
  for (let n = 0; n < COUNT; n++) {
    const r = ch.tryRecv() ?? (await ch.recv());
    if (r.value!.i !== n) throw new Error('out of order');
  }
  const ms = performance.now() - t0;
  await w.terminate();
  return (COUNT / ms) * 1000;
}

async function streamPost(): Promise<number> {
  const { ws, go } = await startAll(1, { mode: 'post', count: COUNT });
  const w = ws[0]!;
  const t0 = performance.now();
  const all = new Promise<void>((resolve) => {
    let n = 0;
    w.on('message', (m: { i: number }) => {
      if (m.i !== n++) throw new Error('out of order');
      if (n === COUNT) resolve();
    });
  });
  go();
  await all;
  const ms = performance.now() - t0;
  await w.terminate();
  return (COUNT / ms) * 1000;
}

async function streamPort(): Promise<number> {
  const { sendEnd, recvEnd } = createPortChannel(256);
  const rx = new PortReceiver<{ i: number }>(recvEnd);
  const start = new SharedArrayBuffer(8);
  const gate = new Int32Array(start);
  const w = new Worker(peer.url, {
    execArgv: peer.execArgv,
    workerData: { mode: 'credits', count: COUNT, end: sendEnd, start },
    transferList: [sendEnd.port],
  });
  while (Atomics.load(gate, 1) < 1) await new Promise((r) => setTimeout(r, 1));
  const t0 = performance.now();
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  let n = 0;
  for (;;) {
    const r = rx.tryRecv() ?? (await rx.recv());
    if (!r.ok) break;
    if (r.value.i !== n++) throw new Error('out of order');
  }
  const ms = performance.now() - t0;
  if (n !== COUNT) throw new Error(`lost messages: ${n}`);
  await w.terminate();
  return (COUNT / ms) * 1000;
}

async function roundTrips(call: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await call(i); // warm up
  const t0 = performance.now();
  for (let i = 0; i < TRIPS; i++) await call(i);
  return ((performance.now() - t0) * 1000) / TRIPS; // µs per round trip
}

async function askLatencies() {
  const actor = spawn<number, number>((n) => n);
  const inThread = await roundTrips((i) => actor.ask(i, { timeout: 5000 }));
  await actor.stop();
  const t = await spawnThreadActor<EchoApi>(echo, { timeoutMs: 5000 });
  const thread = await roundTrips((i) => t.api.ping(i));
  await t.stop();
  const { ws, go } = await startAll(1, { mode: 'echo' });
  const w = ws[0]!;
  go();
  const raw = await roundTrips((i) => {
    w.postMessage(i);
    return once(w, 'message');
  });
  await w.terminate();
  return { inThread, thread, raw };
}

type LimiterVariant = 'client' | 'held' | 'striped' | 'sameline';
const VARIANTS: readonly LimiterVariant[] = ['client', 'held', 'striped', 'sameline'];
interface LimiterRun {
  /** pairs per wall-clock second, all threads together */
  wall: number;
  /** pairs per CPU-second of the measuring threads (their own CPU time: load-independent) */
  cpu: number;
}
async function limiterRate(threads: number, variant: LimiterVariant): Promise<LimiterRun> {
  const limiter = await spawnLimiter({ capacity: 1 << 20 });
  const shared = variant === 'client' ? limiter.shared : new SharedArrayBuffer(64 * 64);
  if (variant !== 'client') new Int32Array(shared)[16] = 1 << 20;
  const mode = variant === 'client' ? 'limiter' : 'limiter-inline';
  const { ws, go } = await startAll(threads, { mode, shared, ms: LIMITER_MS, layout: variant });
  const results = ws.map(async (w) => (await once(w, 'message'))[0] as LimiterResult);
  go();
  const all = await Promise.all(results);
  await Promise.all(ws.map((w) => w.terminate()));
  await limiter.stop();
  const pairs = all.reduce((a, r) => a + r.pairs, 0);
  const cpuMs = all.reduce((a, r) => a + r.cpuMs, 0);
  return { wall: (pairs / LIMITER_MS) * 1000, cpu: cpuMs > 0 ? (pairs / cpuMs) * 1000 : 0 };
}
type LimiterResult = { pairs: number; cpuMs: number };

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

function machine(): string {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
  let go = 'n/a';
  try {
    go = execSync('go version', { encoding: 'utf8' }).trim();
  } catch {}
  return [
    `- date: ${new Date().toISOString()}`,
    `- nproc: ${availableParallelism()}, CPU: ${cpu}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- node ${process.version}; ${go}`,
    `- best of 3 runs each; load average during the run: LOAD`,
    `- messages: ${COUNT.toLocaleString('en-US')}, round trips: ${TRIPS.toLocaleString('en-US')}, limiter: ${LIMITER_MS} ms per run${quick ? ' (--quick)' : ''}`,
  ].join('\n');
}

const N = Math.max(4, availableParallelism());
const REPS = 3;
/** Best of REPS runs: on a shared, noisy machine the best run is the least disturbed one. */
async function best(run: () => Promise<number>, lowerIsBetter = false): Promise<number> {
  const r: number[] = [];
  for (let i = 0; i < REPS; i++) r.push(await run());
  return lowerIsBetter ? Math.min(...r) : Math.max(...r);
}
const chan = await best(() => streamChannel('structured'));
const chanJson = await best(() => streamChannel('json'));
const post = await best(streamPost);
const credit = await best(streamPort);
const asks = [];
for (let i = 0; i < REPS; i++) asks.push(await askLatencies());
const ask = {
  inThread: Math.min(...asks.map((a) => a.inThread)),
  thread: Math.min(...asks.map((a) => a.thread)),
  raw: Math.min(...asks.map((a) => a.raw)),
};
// Limiter variants interleaved, rep by rep: a load spike on a shared machine then hits every
// variant alike instead of all runs of one (grouped runs once showed the client 5x slower than
// inlined; interleaved it is within the cost of its holder bookkeeping). Best of REPS per column.
const lim: Record<string, LimiterRun> = {};
for (const t of [1, N]) {
  for (let i = 0; i < REPS; i++) {
    for (const v of VARIANTS) {
      const r = await limiterRate(t, v);
      const k = `${v}${t}`;
      lim[k] = {
        wall: Math.max(lim[k]?.wall ?? 0, r.wall),
        cpu: Math.max(lim[k]?.cpu ?? 0, r.cpu),
      };
    }
  }
}
const limRow = (t: number) => {
  const c = lim[`client${t}`]!;
  const h = lim[`held${t}`]!;
  const s = lim[`striped${t}`]!;
  const l = lim[`sameline${t}`]!;
  return `| ${t} | ${fmt(c.wall)} | ${fmt(c.cpu)} | ${fmt(h.cpu)} | ${fmt(s.cpu)} | ${fmt(l.cpu)} | ${ratio(c.cpu, s.cpu)} | ${ratio(s.cpu, l.cpu)} |`;
};
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const out = `# actors benchmark

${machine().replace('LOAD', load)}

## Streaming messages from a worker to the main thread (msgs/s, higher is better)

| transport | msgs/s | vs raw postMessage |
|---|---:|---:|
| raw postMessage (unbounded queue, no backpressure) | ${fmt(post)} | 1.00× |
| port channel: PortSender/PortReceiver (postMessage with credits, capacity 256) | ${fmt(credit)} | ${ratio(credit, post)} |
| CrossThreadChannel (SharedArrayBuffer ring, capacity 256, structured clone) | ${fmt(chan)} | ${ratio(chan, post)} |
| CrossThreadChannel (same, json codec) | ${fmt(chanJson)} | ${ratio(chanJson, post)} |

## Request/reply round trip (µs, lower is better)

| kind | µs per round trip | vs in-thread ask |
|---|---:|---:|
| in-thread actor ask | ${fmt(ask.inThread)} | 1.00× |
| thread actor call (comlink) | ${fmt(ask.thread)} | ${ratio(ask.thread, ask.inThread)} |
| raw postMessage ping-pong | ${fmt(ask.raw)} | ${ratio(ask.raw, ask.inThread)} |

## Limiter tryAcquire+release pairs (higher is better)

Variants interleaved run by run; per CPU-second = pairs / the measuring threads' own CPU time
(load-independent), wall = pairs per second of the run.

| threads | LimiterClient /s wall | LimiterClient per CPU-s | inlined + atomic holder adds per CPU-s | inlined, stats striped per CPU-s | inlined, stats on the in-use line per CPU-s | client vs inlined striped | striped vs same line |
|---:|---:|---:|---:|---:|---:|---:|---:|
${limRow(1)}
${limRow(N)}
| ${N} vs 1 | ${ratio(lim[`client${N}`]!.wall, lim.client1!.wall)} | | | | | | |

## Reading

- Raw postMessage is fastest because it never waits: it buffers without limit (all
  ${COUNT.toLocaleString('en-US')} messages may sit in memory). Of the two bounded transports, the
  **port channel** (native structured clone, credits back in batches) is the faster for one producer
  → one consumer; the **SharedArrayBuffer ring** pays for \`v8.serialize\` in JavaScript (its json
  codec roughly doubles it) but is the one with full Go semantics across threads: unbuffered
  rendezvous, synchronous trySend/tryRecv, any number of producers and consumers on any threads,
  an exact memory bound. Use the port channel for bulk point-to-point streams, CrossThreadChannel
  for coordination channels shared by several threads.
- A thread-actor call costs about 1.5–2× a bare postMessage ping-pong (comlink's per-call id and
  listener, plus our timeout and pending-call bookkeeping that rejects calls when a worker dies).
- Limiter: striping the statistics counters away from the in-use word made no consistent
  difference on this 2-vCPU machine (striped/same-line between 0.75× and 1.08× over our runs);
  the layout stays because it is free and matters more with more cores. The N-thread rate is
  bounded by CAS traffic on the single in-use word, which the exact bound requires.
- LimiterClient vs inlined: the client also keeps its holder's HELD word (the tokens it holds,
  so a dead thread's tokens can be reclaimed). It did so with two atomic read-modify-writes per
  pair, which cost ~28% (the "inlined + atomic holder adds" column is the inlined loop with those two
  atomic adds); HELD now takes a plain store (only its thread writes it while it lives), and the
  client runs within ~5–10% of the inlined loop.
`;
console.log(out);
if (!quick) {
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  const path = new URL('../results/actors.md', import.meta.url);
  // Sections this run does not write (hops.ts's "## Scheduler…", hand-written history) are kept.
  const own = ['Streaming messages', 'Request/reply', 'Limiter tryAcquire', 'Reading'];
  let kept = '';
  try {
    const sections = readFileSync(path, 'utf8').split('\n## ').slice(1);
    kept = sections
      .filter((sec) => !own.some((t) => sec.startsWith(t)))
      .map((sec) => `\n## ${sec.trimEnd()}\n`)
      .join('');
  } catch {}
  writeFileSync(path, `${out.trimEnd()}\n${kept}`);
}
