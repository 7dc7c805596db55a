/**
 * `bench:http`, blob-store and topology rows: the same stream service (uWS, one thread) over
 * the three blob stores — local files, GridFS on the dev MongoDB (FerretDB), S3 on the dev S3
 * (SeaweedFS, signed requests) — for 1 MiB ranges and the full file; then one node direct vs one
 * node and two nodes behind deploy/nginx.conf for 1 MiB ranges. Side by side in one run, rounds
 * interleaved, medians, ratios against fs / one node direct. Writes bench/results/http-blobs.md.
 *
 * BENCH_SECONDS / BENCH_ROUNDS as in run.ts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, defaultConfig } from '../../src/config.js';
import { freePorts } from '../../test/helpers/ports.js';
import { startNginx } from '../../test/nodes/nginx.js';
import { startDevMongo } from '../../test/setup/mongo-dev-server.js';
import { startDevS3 } from '../../test/setup/s3-dev-server.js';
import { machine } from '../channels/machine.js';
import { benchBytes, FILE_BYTES, seedVideo } from './fixture.js';
import { type Target, uwsTarget } from './targets.js';
import { type Workload, type WrkResult, wrk } from './wrk.js';

/** At least 8 s: a 1 MiB read from the dev GridFS takes a good part of a second. */
const SECONDS = Math.max(8, Number(process.env.BENCH_SECONDS ?? 8));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MIB = 1024 * 1024;

const rangesLua = `local n = ${FILE_BYTES / MIB}
request = function()
  local off = math.random(0, n - 1) * ${MIB}
  wrk.headers["Range"] = "bytes=" .. off .. "-" .. (off + ${MIB - 1})
  return wrk.format(nil)
end
`;
/** Store rows use 4 connections: the dev GridFS serves one 1 MiB read in about half a second,
 * so with 16 in flight no request would finish inside a run. */
const RANGES: Workload = {
  name: '1 MiB ranges, 4 conns',
  unit: 'req/s',
  connections: 4,
  lua: rangesLua,
};
const FULL: Workload = { name: 'full 32 MiB file, 2 conns', unit: 'GB/s', connections: 2, lua: '' };
const TOPO_RANGES: Workload = {
  name: '1 MiB ranges, 16 conns',
  unit: 'req/s',
  connections: 16,
  lua: rangesLua,
};

const value = (w: Workload, r: WrkResult) => (w.unit === 'GB/s' ? r.bytesPerSec / 1e9 : r.rps);
const fmt = (w: Workload, v: number) =>
  w.unit === 'GB/s' ? v.toFixed(2) : Math.round(v).toLocaleString('en-US');

/** Interleaved rounds over `targets` for `wl`; median per target. */
async function measure(tmp: string, targets: Target[], vid: string, wl: Workload, notes: string[]) {
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const r = await wrk(tmp, {
        url: `${t.url}/videos/${vid}`,
        lua: wl.lua,
        connections: wl.connections,
        seconds: SECONDS,
        timeoutSeconds: 30,
      });
      if (r.non2xx > 0 || r.errors > 0) {
        notes.push(`${t.name} / ${wl.name}: ${r.non2xx} non-2xx, ${r.errors} socket errors`);
      }
      samples.get(t.name)!.push(value(wl, r));
    }
  }
  const medians = new Map<string, number>();
  for (const t of targets) {
    const xs = samples.get(t.name)!.sort((a, b) => a - b);
    medians.set(t.name, xs[Math.floor(xs.length / 2)]!);
    console.log(
      `${t.name.padEnd(26)} ${wl.name.padEnd(28)} ${fmt(wl, medians.get(t.name)!).padStart(10)} ${wl.unit}  (${xs.map((v) => fmt(wl, v)).join(' / ')})`,
    );
  }
  return medians;
}

function table(
  wls: Workload[],
  names: string[],
  base: string,
  results: Map<string, Map<string, number>>,
): string {
  const header = [
    'workload',
    'unit',
    ...names,
    ...names.filter((n) => n !== base).map((n) => `${n} ÷ ${base}`),
  ];
  const rows = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const wl of wls) {
    const m = results.get(wl.name)!;
    const b = m.get(base)!;
    rows.push(
      `| ${[
        wl.name,
        wl.unit,
        ...names.map((n) => fmt(wl, m.get(n)!)),
        ...names.filter((n) => n !== base).map((n) => `${(m.get(n)! / b).toFixed(2)}×`),
      ].join(' | ')} |`,
    );
  }
  return rows.join('\n');
}

export async function blobStoreBench(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'vs-bench-blobs-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(tmp, { recursive: true, force: true })];
  const notes: string[] = [];
  try {
    const mongo = await startDevMongo();
    cleanups.push(() => mongo.stop());
    const s3 = await startDevS3();
    cleanups.push(() => s3.stop());
    // Worker threads copy process.env when created: the S3 credentials reach the stream threads.
    // Restored afterwards: the benches that follow start server processes with this env.
    const s3Env = s3.env('bench');
    const before = Object.fromEntries(Object.keys(s3Env).map((k) => [k, process.env[k]]));
    cleanups.push(async () => {
      for (const [k, v] of Object.entries(before)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    Object.assign(process.env, s3Env);
    // No access log: one line per request on stdout would be part of what is measured.
    const base = { ...defaultConfig(), maxConns: 1024, httpThreads: 1, accessLog: false };
    const configs: Record<string, Config> = {
      fs: { ...base, dataDir: join(tmp, 'fs') },
      GridFS: {
        ...base,
        dataDir: join(tmp, 'gridfs'),
        mongodbUri: `${mongo.uri.replace(/\/$/, '')}/bench_blobs`,
        blobStore: 'gridfs',
      },
      S3: {
        ...base,
        dataDir: join(tmp, 's3'),
        blobStore: 's3',
        s3Endpoint: s3.endpoint,
        s3Bucket: 'bench',
        s3Region: s3.region,
        s3ForcePathStyle: true,
      },
    };
    const vid = randomUUID();
    const bytes = benchBytes();
    for (const c of Object.values(configs)) await seedVideo(c, vid, bytes);

    const stores: Target[] = [];
    for (const [name, c] of Object.entries(configs)) {
      const t = await uwsTarget(name, c, undefined);
      cleanups.push(() => t.stop());
      stores.push(t);
    }
    // Topology: two stream nodes on the same files behind nginx, vs one direct and one behind nginx.
    const second = await uwsTarget('node 2', configs.fs!, undefined);
    cleanups.push(() => second.stop());
    const ports = await freePorts(6);
    const hostOf = (t: Target) => new URL(t.url).host;
    const one = await startNginx(
      [hostOf(stores[0]!)],
      { http: ports[0]!, https: ports[1]! },
      { plainProxy: true },
    );
    cleanups.push(() => one.stop());
    const bare = await startNginx(
      [hostOf(stores[0]!)],
      { http: ports[4]!, https: ports[5]! },
      { plainProxy: true, withoutServiceEnv: true },
    );
    cleanups.push(() => bare.stop());
    const two = await startNginx(
      [hostOf(stores[0]!), hostOf(second)],
      { http: ports[2]!, https: ports[3]! },
      { plainProxy: true },
    );
    cleanups.push(() => two.stop());
    const topo: Target[] = [
      { name: '1 node direct', url: stores[0]!.url, cpu: () => 0, stop: async () => {} },
      { name: '1 node via nginx', url: one.http, cpu: () => 0, stop: async () => {} },
      { name: '1 node via nginx, no drop-in', url: bare.http, cpu: () => 0, stop: async () => {} },
      { name: '2 nodes via nginx', url: two.http, cpu: () => 0, stop: async () => {} },
    ];
    for (const t of [...stores, ...topo]) {
      await wrk(tmp, { url: `${t.url}/videos/${vid}`, lua: '', connections: 2, seconds: 1 }); // warm-up
    }

    const storeResults = new Map<string, Map<string, number>>();
    for (const wl of [RANGES, FULL])
      storeResults.set(wl.name, await measure(tmp, stores, vid, wl, notes));
    const topoResults = new Map([
      [TOPO_RANGES.name, await measure(tmp, topo, vid, TOPO_RANGES, notes)],
    ]);

    const storeTable = table(
      [RANGES, FULL],
      stores.map((t) => t.name),
      'fs',
      storeResults,
    );
    const topoTable = table(
      [TOPO_RANGES],
      topo.map((t) => t.name),
      '1 node direct',
      topoResults,
    );
    console.log(`\n${storeTable}\n\n${topoTable}\n`);
    for (const n of notes) console.log(`note: ${n}`);
    const md = `# HTTP front over each blob store, and behind nginx

\`npm run bench:http\` (second part, bench/http/blob-stores.ts) — wrk (1 thread) against the
stream service (uWS, \`HTTP_THREADS=1\`, no limiter), median of ${ROUNDS} interleaved ${SECONDS} s
runs per cell, the same ${FILE_BYTES / MIB} MiB video in each store.

- **fs**: LMDB records, the file in \`DATA_DIR/videos\` (page-cached; served with sync reads).
- **GridFS**: records and chunks on the dev MongoDB-wire server (FerretDB + SQLite, not a real
  mongod: its numbers say little about GridFS on MongoDB).
- **S3**: LMDB records, the object in the dev S3 server (SeaweedFS, every request signed).
  Each request costs one GetObject, streamed with backpressure.

Everything runs on one 2-core machine, so the GridFS and S3 servers compete with the stream
service and wrk for the same cores: the ratios show the cost of the extra hop here, not what
a dedicated storage cluster would do. A 0 means no request finished within a run.

${storeTable}

Topology (blobs on fs; nodes share the same \`DATA_DIR\`): deploy/nginx.conf with its plain-HTTP
server proxying instead of redirecting (no TLS in the measurement), one nginx worker per core,
run with the environment of deploy/nginx.service.d/malloc.conf (\`MALLOC_TRIM_THRESHOLD_\`), and
once without it ("no drop-in": on the 2-core AMD EPYC VM, nginx's workers then spent most of
their CPU faulting their proxy buffers back in).

${topoTable}
${notes.length ? `\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}
Machine (the load average below says how busy it was):

${machine()}
`;
    await writeFile(join('bench', 'results', 'http-blobs.md'), md);
    console.log('wrote bench/results/http-blobs.md');
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e) => console.error(e));
  }
}

// Standalone: `tsx bench/http/blob-stores.ts`.
if (import.meta.url === `file://${process.argv[1]}`) await blobStoreBench();
