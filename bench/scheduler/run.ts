/**
 * Scheduler benchmark (`npm run bench:scheduler`): deletions per second for N queued records
 * (default 10,000), side by side in one run:
 *
 *   ours · embedded   LMDB records + fs blobs, startScheduler (dispatcher/executor actors, pool)
 *   ours · MongoDB    the same on the MongoDB-wire dev server (FerretDB/SQLite) or MONGODB_URI
 *   Agenda · MongoDB  Agenda 6 (+ @agendajs/mongo-backend) on the same server, one job per video
 *                     doing the same work (blob, comments, video record; Agenda's own write
 *                     marking the job finished stands for our completeDeletions)
 *
 * Each workload seeds N videos (record + small blob + one comment) untimed, then times from
 * start to an empty queue, start-up included (pool threads, Agenda's first poll). Knobs:
 * BENCH_N, BENCH_BATCH (records per dispatch on LMDB), BENCH_BATCH_MONGO (the same on MongoDB,
 * and Agenda's lock limit), BENCH_THREADS.
 * Writes bench/results/scheduler.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda } from 'agenda';
import { MongoClient } from 'mongodb';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { openStores } from '../../src/store/index.js';
import { startDevMongo } from '../../test/setup/mongo-dev-server.js';
import { machine } from '../channels/machine.js';
import { seedVideos } from './seed.js';

const N = Number(process.env.BENCH_N ?? 10_000);
/**
 * Records for the MongoDB workloads. The dev server (FerretDB on SQLite) does a findAndModify in
 * tens of milliseconds and Agenda manages about 2 jobs/s on it, so 10,000 would take over an
 * hour there; against a real mongod (MONGODB_URI) the default is N.
 */
const N_MONGO = Number(process.env.BENCH_N_MONGO ?? (process.env.MONGODB_URI ? N : 500));
/**
 * Records per dispatch. Large on LMDB: a batch costs a few write transactions whatever its size.
 * Smaller on MongoDB, where the rate is timed from the first deletion: a batch holding all
 * N_MONGO records would leave nothing to time.
 */
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const BATCH_MONGO = Number(process.env.BENCH_BATCH_MONGO ?? 50);
const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const quiet = createLogger('bench', 100);
const errors: string[] = [];
process.on('unhandledRejection', (e) => {
  errors.push(String((e as Error)?.message ?? e));
});

async function untilDrained(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

interface Rate {
  /** Deletions per second of wall time, from the first deletion to the last. */
  rate: number;
  /** Deletions per CPU-second of this process (every thread) over the same window. */
  perCpu: number;
  /** From the start call to the first deletion (thread and module start-up). */
  startupS: number;
}

/** Times `done()` going from its first deletion to `n`; the start-up before it apart. */
async function timed(n: number, done: () => number): Promise<Rate> {
  const start = performance.now();
  await untilDrained(async () => done() >= 1);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const d0 = done();
  if (d0 >= n)
    throw new Error('the first batch held every record: nothing left to time (BENCH_BATCH)');
  await untilDrained(async () => done() >= n);
  const c = process.cpuUsage(c0);
  const secs = (performance.now() - t0) / 1000;
  return {
    rate: (n - d0) / secs,
    perCpu: (n - d0) / ((c.user + c.system) / 1e6),
    startupS: (t0 - start) / 1000,
  };
}

async function ours(config: Config, n: number, batch: number): Promise<Rate> {
  const stores = await openStores(config);
  try {
    const ids = await seedVideos(stores, n);
    for (let i = 0; i < ids.length; i += 200) {
      await Promise.all(ids.slice(i, i + 200).map((id) => stores.queue.enqueueDeletion(id)));
    }
    const s = startScheduler(
      config,
      { records: stores.records, queue: stores.queue, log: quiet },
      { batch, poolThreads: THREADS, intervalMs: 20 },
    );
    // In-process counters: polling the store would add load to what is measured.
    const r = await timed(n, () => s.stats().runners['video-cleanup']!.done);
    await s.close(10_000);
    const left = await stores.queue.countDeletions();
    if (left.pending + left.dead !== 0) throw new Error(`ours: ${JSON.stringify(left)} left`);
    return r;
  } finally {
    await stores.close();
  }
}

async function agenda(config: Config, n: number): Promise<Rate> {
  const stores = await openStores(config);
  const client = new MongoClient(config.mongodbUri!);
  await client.connect();
  const ag = new Agenda({
    backend: new MongoBackend({ mongo: client.db() }),
    processEvery: 20,
    // The same number of deletions in flight as ours (one per pool thread), the same batch.
    maxConcurrency: THREADS,
    defaultConcurrency: THREADS,
    lockLimit: BATCH_MONGO,
    defaultLockLimit: BATCH_MONGO,
  });
  try {
    const ids = await seedVideos(stores, n);
    let done = 0;
    // FerretDB answers SQLITE_BUSY to some concurrent writes; count them instead of crashing.
    ag.on('error', (e) => errors.push(e.message));
    ag.define<{ videoId: string }>('delete-video', async (job) => {
      const id = job.attrs.data.videoId;
      await stores.blobs.delete(id);
      await stores.records.deleteVideos([id]); // its comments, then its record
      done++;
    });
    await ag.ready;
    for (let i = 0; i < ids.length; i += 200) {
      await Promise.all(
        ids.slice(i, i + 200).map((videoId) => ag.now('delete-video', { videoId })),
      );
    }
    await ag.start();
    return await timed(n, () => done);
  } finally {
    await ag.stop().catch(() => {});
    await client.close();
    await stores.close();
  }
}

async function main(): Promise<void> {
  const dev = process.env.MONGODB_URI ? undefined : await startDevMongo();
  const base = (process.env.MONGODB_URI ?? dev!.uri).replace(/\/[^/?]*(\?.*)?$/, '');
  const dirs: string[] = [];
  const fresh = async (db?: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-sched-'));
    dirs.push(dir);
    const env: Record<string, string> = { DATA_DIR: dir };
    if (db) env.MONGODB_URI = `${base}/${db}`;
    return loadConfig(env);
  };
  const rows: Array<Rate & { name: string; n: number; load: string }> = [];
  try {
    const run = async (name: string, n: number, fn: (n: number) => Promise<Rate>) => {
      process.stderr.write(`${name}: seeding ${n} and running…\n`);
      const r = await fn(n);
      const load = loadavg()[0]!.toFixed(1);
      rows.push({ name, n, load, ...r });
      process.stderr.write(`${name}: ${r.rate.toFixed(0)} deletions/s (load ${load})\n`);
    };
    const tag = randomUUID().slice(0, 8);
    const only = (process.env.BENCH_ONLY ?? 'embedded,mongo,agenda').split(',');
    if (only.includes('embedded')) {
      await run('ours · embedded (LMDB)', N, async (n) => ours(await fresh(), n, BATCH));
    }
    if (only.includes('mongo')) {
      await run('ours · MongoDB', N_MONGO, async (n) =>
        ours(await fresh(`bench_ours_${tag}`), n, BATCH_MONGO),
      );
    }
    if (only.includes('agenda')) {
      await run('Agenda · MongoDB', N_MONGO, async (n) =>
        agenda(await fresh(`bench_agenda_${tag}`), n),
      );
    }
  } finally {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await dev?.stop();
  }
  const agendaRate = rows.find((r) => r.name.startsWith('Agenda'))?.rate ?? Number.NaN;
  const agendaCpu = rows.find((r) => r.name.startsWith('Agenda'))?.perCpu ?? Number.NaN;
  const table = [
    '| workload | records | deletions/s | × Agenda | per CPU-s of this process | × Agenda | start-up s | load (1 min) at the end |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows
      .map((r) =>
        [
          r.name,
          r.n,
          r.rate.toFixed(1),
          `${(r.rate / agendaRate).toFixed(1)}×`,
          r.perCpu.toFixed(1),
          `${(r.perCpu / agendaCpu).toFixed(1)}×`,
          r.startupS.toFixed(1),
          r.load,
        ].join(' | '),
      )
      .map((line) => `| ${line} |`),
  ].join('\n');
  const server = process.env.MONGODB_URI
    ? 'MONGODB_URI (given)'
    : 'dev server: FerretDB 1.24 on SQLite (tools/mongo-dev)';
  const md = `# Scheduler benchmark

Queued video deletions (record + 1 KiB blob + one comment each), timed from the first deletion
to an empty queue; start-up (actor and pool threads loading TypeScript through tsx, seconds on a
loaded machine) is its own column. "Per CPU-s" divides by the CPU time of this process (every
thread: actors, pool, libuv, lmdb-js), which shared-machine load does not inflate; for the
MongoDB rows it leaves out the server's own CPU. The embedded store runs
${N.toLocaleString('en')} records; the MongoDB workloads ${N_MONGO.toLocaleString('en')} (BENCH_N_MONGO: Agenda manages about
1 job/s on the dev server). Ours: batch ${BATCH} on LMDB, ${BATCH_MONGO} on MongoDB, ${THREADS} pool threads,
ticker 20 ms. Agenda 6.2.6 (@agendajs/mongo-backend 4.0.3): concurrency ${THREADS}, lock limit
${BATCH_MONGO}, processEvery 20 ms, the same deletion work in the job (Agenda then marks the job
finished, where ours removes the deletion record: one write each). MongoDB: ${server}.

${table}
${errors.length ? `\nErrors the server returned during the run (counted, not fatal): ${errors.length}, e.g. \`${errors[0]?.slice(0, 160)}\`\n` : ''}
How a batch runs: one claim (one LMDB write transaction; three bulk commands on MongoDB), made
while the previous batch executes (one batch claimed ahead, given back on stop); the batch split
into one task per pool thread (piscina runs one abortable task per thread); a task confirms its
leases once (heldDeletions, a read; renewDeletions only for a lease too short to outlive the
task), then runs its confirmed videos in 8 chunks at once, each chunk: the blob unlinks
(deleteInPool: an access(2) per path, so a missing file — the poster pair here, these videos
have none — costs no threadpool hop), one deleteVideos (comments and video records, one
transaction), one completeDeletions; then one failDeletions for the batch's failures, if any.
Where the time goes per deletion: \`tsx bench/scheduler/profile.ts\` (each step in-process,
wall and CPU µs). Before this round: 105/s at load 20–35 (four write transactions per deletion,
one video per task). The MongoDB figures are the dev server's (FerretDB on SQLite): every
command costs milliseconds and concurrent writers get SQLITE_BUSY; rerun with MONGODB_URI for
a real mongod.

Load average (1 min) when this table was written: LOAD1.

Machine:
${machine()}
`;
  process.stdout.write(`\n${table}\n`);
  const load1 = loadavg()[0]!.toFixed(1);
  await writeFile(new URL('../results/scheduler.md', import.meta.url), md.replace('LOAD1', load1));
}

await main();
// Agenda leaves timers behind after stop() on this server; the results are written, so leave.
process.exit(0);
