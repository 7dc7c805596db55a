/**
 * Store hot paths, embedded (LMDB + files) vs MongoDB (the dev server: FerretDB/SQLite, GridFS),
 * and vs MONGODB_URI when given — one run, same workload, ops/s and ratios.
 *
 *   npm run bench:store            (BENCH_MS=1500 per workload and target by default)
 *
 * Each workload keeps CONCURRENCY operations in flight (a server handles several requests at
 * once). Results go to bench/results/store.md with the machine description.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { openStores, type Stores } from '../../src/store/index.js';
import { startDevMongo } from '../../test/setup/mongo-dev-server.js';

const MS = Number(process.env.BENCH_MS ?? 1500);
const CONCURRENCY = 4;
const MiB = 1024 * 1024;

interface Workload {
  name: string;
  /** Prepares data; returns one operation. */
  setup(s: Stores): Promise<() => Promise<unknown>>;
}

const workloads: Workload[] = [
  {
    name: 'session lookup',
    async setup(s) {
      const ids = Array.from({ length: 1000 }, () => randomUUID());
      for (const id of ids) {
        await s.records.createSession({
          id,
          userId: randomUUID(),
          userName: 'bench',
          expiresAt: Date.now() + 3600e3,
        });
      }
      let i = 0;
      return () => s.records.getSession(ids[i++ % ids.length] as string);
    },
  },
  {
    name: "list a user's videos (20)",
    async setup(s) {
      const authors = Array.from({ length: 10 }, () => randomUUID());
      for (const authorId of authors) {
        for (let k = 0; k < 20; k++) {
          await s.records.createVideo({
            id: randomUUID(),
            authorId,
            name: `video ${k}`,
            createdAt: k,
            state: 'active',
          });
        }
      }
      let i = 0;
      return () => s.records.listVideosByAuthor(authors[i++ % authors.length] as string);
    },
  },
  {
    name: 'claim a batch of 3 (+complete)',
    async setup(s) {
      // Enough records for any run; each op claims 3 and completes them (steady state).
      for (let k = 0; k < 3000; k++) await s.queue.enqueueDeletion(randomUUID(), k);
      let n = 0;
      return async () => {
        const owner = `bench-${n++}`;
        const batch = await s.queue.claimDeletions(owner, 3, 60_000);
        if (batch.length === 0) throw new Error('queue drained: raise the pre-enqueued count');
        await s.queue.completeDeletions(
          owner,
          batch.map((d) => d.videoId),
        );
      };
    },
  },
  {
    name: 'ranged blob read 1 MiB (of 16 MiB)',
    async setup(s) {
      const id = randomUUID();
      const w = await s.blobs.createWriter(id, { contentType: 'video/mp4' });
      const chunk = randomBytes(MiB);
      for (let k = 0; k < 16; k++) await w.write(chunk);
      await w.commit();
      let i = 0;
      return async () => {
        const start = ((i++ * 7) % 15) * MiB + 12345;
        let n = 0;
        for await (const c of s.blobs.read(id, { start, end: start + MiB - 1 })) n += c.length;
        if (n !== MiB) throw new Error(`short read ${n}`);
      };
    },
  },
];

async function measure(op: () => Promise<unknown>): Promise<number> {
  const warm = Date.now() + Math.min(300, MS / 5);
  while (Date.now() < warm) await op();
  let ops = 0;
  const t0 = performance.now();
  const end = t0 + MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await op();
        ops++;
      }
    }),
  );
  return ops / ((performance.now() - t0) / 1000);
}

interface Target {
  name: string;
  open(): Promise<{ stores: Stores; cleanup(): Promise<void> }>;
}

function mongoTarget(name: string, baseUri: string): Target {
  return {
    name,
    async open() {
      const m = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(baseUri);
      const uri = `${m?.[1]}/bench_store_${process.pid}${m?.[2] ?? ''}`;
      const dataDir = await mkdtemp(join(tmpdir(), 'bench-store-'));
      const stores = await openStores({ dataDir, mongodbUri: uri, blobStore: 'gridfs' });
      return {
        stores,
        async cleanup() {
          await stores.close();
          const c = await new MongoClient(uri).connect();
          await c.db().dropDatabase();
          await c.close();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}

const loadStart = loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');

function machine(): string {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'n/a';
    }
  };
  return [
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${sh('nproc', [])} × ${cpus()[0]?.model ?? 'unknown'} (/proc/cpuinfo model name)`,
    `- load average at start: ${loadStart}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`,
    `- node ${process.version}, ${sh('go', ['version'])}`,
    `- ${MS} ms per workload and target, ${CONCURRENCY} operations in flight, one run (noisy shared machine)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const dev = await startDevMongo();
  const targets: Target[] = [
    {
      name: 'embedded (LMDB + files)',
      async open() {
        const dataDir = await mkdtemp(join(tmpdir(), 'bench-store-'));
        const stores = await openStores({ dataDir, mongodbUri: undefined, blobStore: 'fs' });
        return {
          stores,
          cleanup: async () => {
            await stores.close();
            await rm(dataDir, { recursive: true, force: true });
          },
        };
      },
    },
    mongoTarget('MongoDB dev server (FerretDB + GridFS)', dev.uri),
  ];
  if (process.env.MONGODB_URI)
    targets.push(mongoTarget('MONGODB_URI (+ GridFS)', process.env.MONGODB_URI));

  const results: number[][] = workloads.map(() => []);
  try {
    for (const [ti, t] of targets.entries()) {
      const { stores, cleanup } = await t.open();
      try {
        for (const [wi, w] of workloads.entries()) {
          const op = await w.setup(stores);
          results[wi]![ti] = await measure(op);
          process.stderr.write(`${t.name} · ${w.name}: ${results[wi]![ti]!.toFixed(0)} ops/s\n`);
        }
      } finally {
        await cleanup();
      }
    }
  } finally {
    await dev.stop();
  }

  const head = [
    'workload',
    ...targets.map((t) => `${t.name} ops/s`),
    ...targets.slice(1).map((t) => `embedded ÷ ${t.name.split(' (')[0]}`),
  ];
  const rows = workloads.map((w, wi) => {
    const r = results[wi]!;
    return [
      w.name,
      ...r.map((x) => x.toFixed(x < 10 ? 1 : 0)),
      ...r.slice(1).map((x) => `${(r[0]! / x).toFixed(1)}×`),
    ];
  });
  const table = [head, head.map(() => '---'), ...rows]
    .map((r) => `| ${r.join(' | ')} |`)
    .join('\n');
  const note =
    'The dev server is FerretDB v1 on SQLite: it pushes only `_id` lookups down to SQLite and ' +
    'evaluates other filters and sorts (deletion queue, GridFS chunks) in Go over whole ' +
    'collections, so its figures say nothing about a real mongod; they show the embedded default ' +
    'is not the bottleneck. Run with MONGODB_URI to add a real MongoDB column.';
  const md = `# Store benchmark (\`npm run bench:store\`)\n\n${table}\n\n${note}\n\n${machine()}\n`;
  process.stdout.write(`\n${md}`);
  const out = join(dirname(fileURLToPath(import.meta.url)), '../results/store.md');
  await writeFile(out, md);
  process.stdout.write(`\nsaved ${out}\n`);
}

await main();
