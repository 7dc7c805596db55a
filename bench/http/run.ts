/**
 * `npm run bench:http`: the stream service against node:http (same handler), Go net/http
 * (http.ServeContent) and nginx, on the same video file, driven by wrk. One serving thread each
 * (the machine has 2 cores: one for wrk, one for the server). Prints a table with ratios and
 * writes bench/results/http.md.
 *
 * BENCH_SECONDS (default 2) sets each run's length, BENCH_ROUNDS (default 3) the rounds per cell.
 */
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { LimiterClient, spawnLimiter } from '../../src/actors/index.js';
import { freePorts } from '../../test/helpers/ports.js';
import { machine } from '../channels/machine.js';
import { median } from '../stats.js';
import { blobStoreBench } from './blob-stores.js';
import { benchFixture, FILE_BYTES } from './fixture.js';
import { opsCost } from './ops.js';
import { goTarget, nginxTarget, nodeTarget, serverProcess, type Target } from './targets.js';
import { type Workload, type WrkResult, wrk } from './wrk.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
/** Rounds per cell; targets are interleaved round by round and the median is reported, so the
 * drift of a shared machine hits every column alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MIB = 1024 * 1024;

interface PathWorkload extends Workload {
  path: (vid: string) => string;
}

const WORKLOADS: PathWorkload[] = [
  {
    // wrk cannot do HEAD (its parser then waits for the announced body), so the small request
    // that runs the whole path — token, record, stat, validators, range — is a 1-byte range.
    name: 'GET 1-byte range (206)',
    unit: 'req/s',
    connections: 32,
    path: (vid) => `/videos/${vid}`,
    lua: 'wrk.headers["Range"] = "bytes=0-0"\n',
  },
  {
    name: 'GET unknown id (404)',
    unit: 'req/s',
    connections: 32,
    path: () => `/videos/${randomUUID()}`,
    lua: '',
  },
  {
    name: '1 MiB ranges, 16 conns',
    unit: 'req/s',
    connections: 16,
    path: (vid) => `/videos/${vid}`,
    lua: `local n = ${FILE_BYTES / MIB}
request = function()
  local off = math.random(0, n - 1) * ${MIB}
  wrk.headers["Range"] = "bytes=" .. off .. "-" .. (off + ${MIB - 1})
  return wrk.format(nil)
end
`,
  },
  {
    name: 'full 32 MiB file, 4 conns',
    unit: 'GB/s',
    connections: 4,
    path: (vid) => `/videos/${vid}`,
    lua: '',
  },
];

function value(w: Workload, r: WrkResult): number {
  return w.unit === 'GB/s' ? r.bytesPerSec / 1e9 : r.rps;
}

/** Requests (or GB) per CPU-second of the serving process during one run. */
function perCpu(w: Workload, r: WrkResult, cpuSeconds: number): number {
  return (w.unit === 'GB/s' ? r.bytes / 1e9 : r.requests) / cpuSeconds;
}

function fmt(w: Workload, v: number): string {
  return w.unit === 'GB/s' ? v.toFixed(2) : Math.round(v).toLocaleString('en-US');
}

const load1 = () => loadavg()[0]!.toFixed(1);
const OURS = 'uWS';

interface Cell {
  wall: number[];
  cpu: number[];
}

async function main(): Promise<void> {
  const { tmp, config, vid } = await benchFixture();
  const videos = join(config.dataDir, 'videos');
  const limiter = await spawnLimiter({ capacity: config.maxConns });
  // The limiter's own cost per request (one tryAcquire + release pair), measured directly: the
  // on/off difference of whole-server runs is smaller than this machine's run-to-run noise.
  const client = new LimiterClient(limiter.shared);
  const PAIRS = 2_000_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PAIRS; i++) if (client.tryAcquire()) client.release();
  const pairNs = Number(process.hrtime.bigint() - t0) / PAIRS;

  const starters: Array<() => Promise<Target>> = [
    // The real server process, metrics counted (METRICS_PORT set) but no access log — like the
    // nginx target (access_log off) and Go: serving is compared, not logging (ops.ts measures
    // that). Its CPU is its own process tree, as for Go and nginx.
    async () =>
      serverProcess(OURS, tmp, config.dataDir, {
        ACCESS_LOG: 'off',
        LOG_LEVEL: 'info',
        METRICS_PORT: String((await freePorts(1))[0]),
        SHUTDOWN_GRACE_MS: '0',
      }),
    () => nodeTarget(config, limiter.shared),
    () => goTarget(videos, tmp),
    () => nginxTarget(videos, tmp),
  ];
  const cells = new Map<string, Map<string, Cell>>();
  const loads = new Map<string, string[]>();
  const notes: string[] = [];
  const targets: Target[] = [];
  try {
    for (const start of starters) targets.push(await start());
    for (const t of targets) {
      cells.set(t.name, new Map());
      await wrk(tmp, { url: `${t.url}/videos/${vid}`, lua: '', connections: 4, seconds: 1 }); // warm-up
    }
    for (const wl of WORKLOADS) {
      for (const t of targets) cells.get(t.name)!.set(wl.name, { wall: [], cpu: [] });
      loads.set(wl.name, []);
      for (let round = 0; round < ROUNDS; round++) {
        for (const t of targets) {
          const c0 = t.cpu();
          const r = await wrk(tmp, {
            url: `${t.url}${wl.path(vid)}`,
            lua: wl.lua,
            connections: wl.connections,
            seconds: SECONDS,
          });
          const cpu = t.cpu() - c0;
          const expectErrors = wl.name.includes('404');
          if ((r.non2xx > 0 && !expectErrors) || r.errors > 0) {
            notes.push(`${t.name} / ${wl.name}: ${r.non2xx} non-2xx, ${r.errors} socket errors`);
          }
          const cell = cells.get(t.name)!.get(wl.name)!;
          cell.wall.push(value(wl, r));
          cell.cpu.push(perCpu(wl, r, cpu));
        }
        loads.get(wl.name)!.push(load1());
      }
      for (const t of targets) {
        const cell = cells.get(t.name)!.get(wl.name)!;
        console.log(
          `${t.name.padEnd(20)} ${wl.name.padEnd(28)} ${fmt(wl, median(cell.wall)).padStart(12)} ${wl.unit}  (${cell.wall.map((v) => fmt(wl, v)).join(' / ')})  per CPU-s ${fmt(wl, median(cell.cpu))}`,
        );
      }
    }
  } finally {
    for (const t of targets) await t.stop();
    await limiter.stop();
    await rm(tmp, { recursive: true, force: true });
  }
  const names = targets.map((t) => t.name);
  const cell = (n: string, w: Workload) => cells.get(n)?.get(w.name) ?? { wall: [], cpu: [] };
  const wall = (n: string, w: Workload) => median(cell(n, w).wall);
  const cpu = (n: string, w: Workload) => median(cell(n, w).cpu);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

  const header = [
    'workload',
    'unit',
    ...names,
    'uWS ÷ node:http',
    'uWS ÷ Go',
    'uWS ÷ nginx',
    'load (1 min) per round',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const wl of WORKLOADS) {
    const on = wall(OURS, wl);
    lines.push(
      `| ${[
        wl.name,
        wl.unit,
        ...names.map((n) => fmt(wl, wall(n, wl))),
        ratio(on, wall('node:http', wl)),
        ratio(on, wall('Go net/http', wl)),
        ratio(on, wall('nginx', wl)),
        loads.get(wl.name)!.join(', '),
      ].join(' | ')} |`,
    );
  }
  const table = lines.join('\n');

  const cpuHeader = ['workload', 'unit', ...names, 'uWS ÷ node:http', 'uWS ÷ Go', 'uWS ÷ nginx'];
  const cpuLines = [`| ${cpuHeader.join(' | ')} |`, `|${cpuHeader.map(() => '---').join('|')}|`];
  for (const wl of WORKLOADS) {
    const on = cpu(OURS, wl);
    cpuLines.push(
      `| ${[
        wl.name,
        wl.unit === 'GB/s' ? 'GB per CPU-s' : 'req per CPU-s',
        ...names.map((n) => fmt(wl, cpu(n, wl))),
        ratio(on, cpu('node:http', wl)),
        ratio(on, cpu('Go net/http', wl)),
        ratio(on, cpu('nginx', wl)),
      ].join(' | ')} |`,
    );
  }
  const cpuTable = cpuLines.join('\n');

  // Issue 15's goals, each a ratio of this run: wall clock and per CPU-second side by side.
  const [small, notFound, mib, full] = WORKLOADS as [
    PathWorkload,
    PathWorkload,
    PathWorkload,
    PathWorkload,
  ];
  const goal = (label: string, a: number, b: number, min: number, c: number, d: number) =>
    `| ${label} | ${ratio(a, b)} | ${ratio(c, d)} | ≥ ${min.toFixed(2)}× | ${a / b >= min ? 'met' : 'missed'} / ${c / d >= min ? 'met' : 'missed'} |`;
  const g = (label: string, w: Workload, other: string, min: number) =>
    goal(label, wall(OURS, w), wall(other, w), min, cpu(OURS, w), cpu(other, w));
  const perRound = cell(OURS, mib).wall.map((v, i) => v / cell('nginx', mib).wall[i]!);
  const perRoundCpu = cell(OURS, mib).cpu.map((v, i) => v / cell('nginx', mib).cpu[i]!);
  const goals = [
    '| goal | wall clock | per CPU-second | needs | met (wall / CPU) |',
    '|---|---|---|---|---|',
    g('1-byte range vs Go net/http', small, 'Go net/http', 1.0),
    g('1-byte range vs nginx', small, 'nginx', 0.4),
    g('unknown id (404) vs nginx', notFound, 'nginx', 0.75),
    `| 1 MiB ranges vs nginx, each round | ${perRound.map((r) => `${r.toFixed(2)}×`).join(', ')} | ${perRoundCpu.map((r) => `${r.toFixed(2)}×`).join(', ')} | ≥ 1.00× each | ${perRound.every((r) => r >= 1) ? 'met' : 'missed'} / ${perRoundCpu.every((r) => r >= 1) ? 'met' : 'missed'} |`,
    g('full file vs nginx', full, 'nginx', 1.2),
  ].join('\n');

  const smallest = WORKLOADS.filter((w) => w.unit === 'req/s').map((w) => wall(OURS, w));
  const fastest = Math.max(...smallest);
  const limiterLine =
    `Limiter cost measured directly: one tryAcquire + release pair = ${pairNs.toFixed(0)} ns ` +
    `(uncontended, this thread) = ${((pairNs / (1e9 / fastest)) * 100).toFixed(2)}% of a request ` +
    `at the fastest small-request rate above (${Math.round(fastest).toLocaleString('en-US')} req/s).`;
  console.log(`\n${table}\n\n${cpuTable}\n\n${goals}\n\n${limiterLine}\n`);
  for (const n of notes) console.log(`note: ${n}`);
  const md = `# HTTP front benchmark (stream service)

\`npm run bench:http\` — wrk (1 thread) against one serving thread of each server on loopback,
median of ${ROUNDS} interleaved ${SECONDS} s runs per cell, the same ${FILE_BYTES / MIB} MiB file
(page-cached). "uWS" is the real server process (\`video-server start --only stream\`,
\`HTTP_THREADS=1\`, metrics counted, no access log): limiter token, record lookup (LMDB,
synchronous, decoded record reused while its bytes are unchanged), the open-file cache (one
fstat per request), RFC 9110 validators and ranges, small ranges in one write inside the
handler's cork, constant response text (status lines, header names, error bodies) handed to
uWS as bytes encoded once, large bodies read synchronously in 512 KiB chunks as the socket
drains (profile: http-profile.md).
"node:http" runs the same lookups, validators and range code on node:http with the store's
generic path (\`blobs.stat\` + \`blobs.read\` stream piped to the response) — what a plain
node:http service does. Go is the seed's design (net/http + http.ServeContent, channel limiter,
\`GOMAXPROCS=1\`); nginx serves the directory (\`sendfile on\`, 1 worker, \`log_not_found off\`:
stock nginx writes an error-log line for every missing file, which our server does not; runs
before 2026-11-30 06:30 kept it, and their 404 ratios are against that slower nginx).
Ratios use uWS (limiter on, as in production).

## Wall clock

${table}

## Per CPU-second of the serving process

The same runs divided by the CPU time the serving process used during each run, read from
/proc for our server process, Go and nginx (master + worker) alike (cpu.ts; node:http runs in
this process and is charged the whole benchmark process). On this shared machine these figures
move far less with other jobs' load than the wall-clock ones, but a heavily loaded machine still
raises every server's cost per request (fewer requests per event-loop wake-up).

${cpuTable}

## Goals (issue 15)

${goals}

${limiterLine}
${notes.length ? `\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}
Machine (see the load column: on 2 cores a load of N leaves each runnable process about 2/N of a
core, and wrk shares the cores with the server, so wall-clock figures move between rounds; the
per-CPU-second table is the steadier one):

${machine()}
`;
  await writeFile(join('bench', 'results', 'http.md'), md);
  console.log('wrote bench/results/http.md');
}

await main();
// Blob stores side by side (fs, GridFS, S3) and nodes behind nginx: bench/http/blob-stores.ts.
if (process.env.BENCH_BLOBS !== '0') await blobStoreBench();
// Issue 10's row: download latency during a sign-in flood (its own module and result file).
await (await import('./flood.js')).main();
// Issue 14: the same server with metrics + access log on vs off (bench/http/ops.ts).
await opsCost();
