/**
 * `npm run bench:http`: the stream service against node:http (same handler), Go net/http
 * (http.ServeContent) and nginx, on the same video file, driven by wrk. One serving thread each
 * (the machine has 2 cores: one for wrk, one for the server). Prints a table with ratios and
 * writes bench/results/http.md.
 *
 * BENCH_SECONDS (default 2) sets each run's length, BENCH_ROUNDS (default 3) the rounds per cell.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LimiterClient, spawnLimiter } from '../../src/actors/index.js';
import { defaultConfig } from '../../src/config.js';
import { openStores } from '../../src/store/index.js';
import { machine } from '../channels/machine.js';
import { goTarget, nginxTarget, nodeTarget, type Target, uwsTarget } from './targets.js';
import { type WrkResult, wrk } from './wrk.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
/** Rounds per cell; targets are interleaved round by round and the median is reported, so the
 * drift of a shared machine hits every column alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FILE_BYTES = 32 * 1024 * 1024;
const MIB = 1024 * 1024;

interface Workload {
  name: string;
  unit: 'req/s' | 'GB/s';
  connections: number;
  path: (vid: string) => string;
  lua: string;
}

const WORKLOADS: Workload[] = [
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

function fmt(w: Workload, v: number): string {
  return w.unit === 'GB/s' ? v.toFixed(2) : Math.round(v).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'vs-bench-http-'));
  const config = { ...defaultConfig(), dataDir: join(tmp, 'data'), maxConns: 1024 };
  const stores = await openStores(config);
  const userId = randomUUID();
  const vid = randomUUID();
  await stores.records.createVideo({
    id: vid,
    authorId: userId,
    name: 'bench',
    createdAt: Date.now(),
    state: 'active',
  });
  const bytes = randomBytes(FILE_BYTES);
  bytes.writeUInt32BE(24, 0);
  bytes.write('ftypisom', 4, 'latin1');
  const w = await stores.blobs.createWriter(vid, { contentType: 'video/mp4' });
  await w.write(bytes);
  await w.commit();
  await stores.close();
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
    () => uwsTarget('uWS (limiter on)', config, limiter.shared),
    () => uwsTarget('uWS (limiter off)', config, undefined),
    () => nodeTarget(config, limiter.shared),
    () => goTarget(videos, tmp),
    () => nginxTarget(videos, tmp),
  ];
  const results = new Map<string, Map<string, number>>();
  const notes: string[] = [];
  const targets: Target[] = [];
  try {
    for (const start of starters) targets.push(await start());
    for (const t of targets) {
      results.set(t.name, new Map());
      await wrk(tmp, { url: `${t.url}/videos/${vid}`, lua: '', connections: 4, seconds: 1 }); // warm-up
    }
    for (const wl of WORKLOADS) {
      const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const t of targets) {
          const r = await wrk(tmp, {
            url: `${t.url}${wl.path(vid)}`,
            lua: wl.lua,
            connections: wl.connections,
            seconds: SECONDS,
          });
          const expectErrors = wl.name.includes('404');
          if ((r.non2xx > 0 && !expectErrors) || r.errors > 0) {
            notes.push(`${t.name} / ${wl.name}: ${r.non2xx} non-2xx, ${r.errors} socket errors`);
          }
          samples.get(t.name)!.push(value(wl, r));
        }
      }
      for (const t of targets) {
        const xs = samples.get(t.name)!.sort((a, b) => a - b);
        const median = xs[Math.floor(xs.length / 2)]!;
        results.get(t.name)!.set(wl.name, median);
        const spread = xs.map((v) => fmt(wl, v)).join(' / ');
        console.log(
          `${t.name.padEnd(20)} ${wl.name.padEnd(28)} ${fmt(wl, median).padStart(12)} ${wl.unit}  (${spread})`,
        );
      }
    }
  } finally {
    for (const t of targets) await t.stop();
    await limiter.stop();
    await rm(tmp, { recursive: true, force: true });
  }
  const names = targets.map((t) => t.name);

  const get = (n: string, w: Workload) => results.get(n)?.get(w.name) ?? Number.NaN;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const header = [
    'workload',
    'unit',
    ...names,
    'uWS ÷ node:http',
    'uWS ÷ Go',
    'uWS ÷ nginx',
    'limiter cost',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const wl of WORKLOADS) {
    const on = get('uWS (limiter on)', wl);
    const off = get('uWS (limiter off)', wl);
    lines.push(
      `| ${[
        wl.name,
        wl.unit,
        ...names.map((n) => fmt(wl, get(n, wl))),
        ratio(on, get('node:http', wl)),
        ratio(on, get('Go net/http', wl)),
        ratio(on, get('nginx', wl)),
        `${(((off - on) / off) * 100).toFixed(1)}%`,
      ].join(' | ')} |`,
    );
  }
  const table = lines.join('\n');
  const smallest = WORKLOADS.filter((w) => w.unit === 'req/s').map((w) =>
    get('uWS (limiter off)', w),
  );
  const fastest = Math.max(...smallest);
  const limiterLine =
    `Limiter cost measured directly: one tryAcquire + release pair = ${pairNs.toFixed(0)} ns ` +
    `(uncontended, this thread) = ${((pairNs / (1e9 / fastest)) * 100).toFixed(2)}% of a request ` +
    `at the fastest small-request rate above (${Math.round(fastest).toLocaleString('en-US')} req/s).`;
  console.log(`\n${table}\n\n${limiterLine}\n`);
  for (const n of notes) console.log(`note: ${n}`);
  const md = `# HTTP front benchmark (stream service)

\`npm run bench:http\` — wrk (1 thread) against one serving thread of each server on loopback,
median of ${ROUNDS} interleaved ${SECONDS} s runs per cell, the same ${FILE_BYTES / MIB} MiB file
(page-cached). "uWS" is our stream service (\`startHttpHost\`, \`HTTP_THREADS=1\`): limiter token,
record lookup (LMDB), sync open/fstat with the blob info cached per file version, RFC 9110
validators and ranges, body read synchronously in 512 KiB chunks as the socket drains.
"node:http" runs the same lookups, validators and range code on node:http with the store's
generic path (\`blobs.stat\` + \`blobs.read\` stream piped to the response) — what a plain
node:http service does. Go is the seed's design (net/http + http.ServeContent, channel limiter,
\`GOMAXPROCS=1\`); nginx serves the directory (\`sendfile on\`, 1 worker).
Ratios use uWS with the limiter on; "limiter cost" = (off − on) ÷ off.
Targets: ≥ 3× node:http on small requests; ≥ 0.75× nginx on 1 MiB ranges; limiter cost ≤ 3%.

${table}

${limiterLine} The "limiter cost" column compares whole-server runs and mostly shows noise.
${notes.length ? `\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}
Machine (shared with other jobs while this ran — expect noise of several percent):

${machine()}
`;
  await writeFile(join('bench', 'results', 'http.md'), md);
  console.log('wrote bench/results/http.md');
}

await main();
