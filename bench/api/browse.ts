/**
 * The browse side of `npm run bench:api`: requests/s with 10,000 videos in the store (100 users
 * × 100 public, ready videos), on the embedded store and on MongoDB (the dev server unless
 * MONGODB_URI is given). The baseline is the per-user list the site had before (`GET
 * /user/:name/videos`, the owner's 100 videos); beside it the public listing (`GET /videos`) at
 * 100 and at the page's 24 per page, search, and the two server-rendered pages a visitor hits
 * first: browse `/` and the watch page `/v/:vid` (HTML from nunjucks, through the web front).
 *
 * The records are written straight through the store port (the api would need 10,000 uploads
 * to mark videos ready) between two starts of the real `video-server start` on the same data;
 * on MongoDB the videos go in with insertMany of the adapter's own documents (see seed()).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../../src/config.js';
import { openStores } from '../../src/store/index.js';
import { videoDoc } from '../../src/store/mongo-videos.js';
import type { Video } from '../../src/store/types.js';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';
import { startDevMongo } from '../../test/setup/mongo-dev-server.js';
import { type WrkRequest, type WrkResult, wrk } from './wrk.js';

const USERS = 100;
const PER_USER = 100;
const SERVICES = 'web,api,stream';
export const MONGO_REQUESTS = 3;

/**
 * Requests one after another on one connection; for a store too slow for wrk to count anything
 * (the dev MongoDB answers a 10,000-record listing in seconds to tens of seconds under load).
 */
async function sequential(req: WrkRequest, n: number): Promise<WrkResult> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(req.url, { headers: req.headers });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${req.url} answered ${res.status}`);
    times.push(performance.now() - t);
  }
  const total = times.reduce((a, b) => a + b, 0);
  times.sort((a, b) => a - b);
  const [p50ms, p99ms] = [times[Math.floor(n / 2)]!, times[n - 1]!];
  return { rps: (n * 1000) / total, p50ms, p99ms, non2xx: 0, requests: n };
}

export interface BrowseOptions {
  /** Run each row as this many sequential requests instead of wrk. */
  sequential?: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** wrk's per-request timeout (a slower answer is not counted at all). */
  timeoutSeconds?: number;
}

export interface BrowseRow {
  store: string;
  name: string;
  rps: number;
  ratio: number;
  p50ms: number;
  p99ms: number;
}

/** Runs `n` tasks, `width` at a time. */
async function pool(n: number, width: number, task: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

async function register(api: string, name: string): Promise<{ id: string; sid: string }> {
  const reg = await fetch(`${api}/user`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_name: name, pwd: 'bench password' }),
  });
  if (reg.status !== 201) throw new Error(`set-up: register answered ${reg.status}`);
  const sid = ((await reg.json()) as { session_id: string }).session_id;
  const me = await fetch(`${api}/user/${name}`, { headers: { 'x-session-id': sid } });
  return { id: ((await me.json()) as { id: string }).id, sid };
}

/** 100 users × 100 videos; the first user is `owner` (registered through the api). */
export async function seed(env: Record<string, string>, ownerId: string): Promise<void> {
  const stores = await openStores(loadConfig(env));
  try {
    const authors = [ownerId];
    for (let u = 1; u < USERS; u++) {
      const id = randomUUID();
      authors.push(id);
      await stores.records.createUser({
        id,
        name: `seeded_${u}`,
        pwdHash: 'not-a-login',
        createdAt: Date.now(),
      });
    }
    const t0 = Date.now() - USERS * PER_USER * 1000;
    const videos: Video[] = Array.from({ length: USERS * PER_USER }, (_, i) => ({
      id: randomUUID(),
      authorId: authors[i % USERS]!,
      name: `Harbour clip ${i} with some words`,
      description: `Video number ${i}, a short description of the kind people write.`,
      createdAt: t0 + i * 1000,
      state: 'active',
      visibility: 'public',
      ready: true,
      durationMs: 3000 + (i % 600) * 1000,
      width: 640,
      height: 360,
      codecs: ['vp8', 'vorbis'],
      posterId: null,
    }));
    if (env.MONGODB_URI) {
      // One createVideo per record takes tens of minutes on the dev server (FerretDB on SQLite):
      // insert the adapter's own documents (videoDoc: the listed/words index fields) in batches.
      const client = new MongoClient(env.MONGODB_URI);
      try {
        await client.connect();
        const coll = client.db().collection('videos');
        for (let i = 0; i < videos.length; i += 500) {
          // biome-ignore lint/suspicious/noExplicitAny: the driver wants its own _id typing
          await coll.insertMany(videos.slice(i, i + 500).map((x) => videoDoc(x) as any));
        }
      } finally {
        await client.close();
      }
    } else {
      await pool(videos.length, 16, (i) => stores.records.createVideo(videos[i]!));
    }
  } finally {
    await stores.close();
  }
}

async function measure(
  store: string,
  env: Record<string, string>,
  o: BrowseOptions,
): Promise<BrowseRow[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-browse-'));
  const servers: TestServer[] = [];
  try {
    const start = async () => {
      const s = await startTestServer({ only: SERVICES, dataDir, env, timeoutMs: 60_000 });
      servers.push(s);
      return s;
    };
    const first = await start();
    const owner = `owner_${Date.now().toString(36)}`;
    const me = await register(first.urls.api!, owner);
    await first.stop();
    process.stderr.write(`browse · ${store}: seeding ${USERS * PER_USER} videos…\n`);
    await seed({ ...env, DATA_DIR: dataDir }, me.id);
    const s = await start();
    const api = s.urls.api!;
    const web = s.urls.web!;
    const list = (await (await fetch(`${api}/videos?limit=1`)).json()) as {
      videos: Array<{ id: string }>;
    };
    const vid = list.videos[0]!.id;
    const get = (url: string, headers: Record<string, string> = {}): WrkRequest => ({
      url,
      method: 'GET',
      headers,
    });
    const cases: Array<[string, WrkRequest]> = [
      [
        'per-user list (100, session)',
        get(`${api}/user/${owner}/videos`, { 'X-Session-Id': me.sid }),
      ],
      ['GET /videos?limit=100', get(`${api}/videos?limit=100`)],
      // The same listing with the session header: what a signed-in visitor's session costs.
      [
        'GET /videos?limit=100 (session)',
        get(`${api}/videos?limit=100`, { 'X-Session-Id': me.sid }),
      ],
      ['GET /videos?limit=24', get(`${api}/videos?limit=24`)],
      ['GET /search?q=harbour words', get(`${api}/search?q=harbour+words&limit=24`)],
      ['page / (HTML, 24 cards)', get(`${web}/`)],
      ['page /v/:vid (HTML)', get(`${web}/v/${vid}`)],
    ];
    const opts = {
      threads: 1,
      connections: o.connections,
      seconds: o.seconds,
      timeoutSeconds: o.timeoutSeconds,
    };
    if (o.warmupSeconds > 0) {
      for (const [, req] of cases) await wrk(req, { ...opts, seconds: o.warmupSeconds });
    }
    const rows: BrowseRow[] = [];
    for (const [name, req] of cases) {
      const r = o.sequential ? await sequential(req, o.sequential) : await wrk(req, opts);
      if (r.non2xx > 0) throw new Error(`${store} / ${name}: ${r.non2xx} non-2xx of ${r.requests}`);
      if (r.requests === 0) throw new Error(`${store} / ${name}: no request finished in time`);
      const base = rows[0]?.rps ?? r.rps;
      rows.push({ store, name, rps: r.rps, ratio: r.rps / base, p50ms: r.p50ms, p99ms: r.p99ms });
      process.stderr.write(`browse · ${store}: ${name} ${r.rps.toFixed(0)} req/s\n`);
    }
    return rows;
  } finally {
    for (const s of servers.reverse()) await s.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Both stores, embedded first. */
export async function benchBrowse(o: BrowseOptions): Promise<BrowseRow[]> {
  const rows = await measure('embedded', {}, o);
  const dev = process.env.MONGODB_URI ? undefined : await startDevMongo();
  try {
    const base = (process.env.MONGODB_URI ?? dev!.uri).replace(/\/[^/?]*(\?.*)?$/, '');
    const uri = `${base}/bench_browse_${randomUUID().slice(0, 8)}`;
    try {
      // The dev server scans every record for a listing (seconds to tens of seconds each with
      // 10,000 on this loaded machine): wrk counts nothing there, so each row is timed as
      // sequential requests on one connection (the table says so).
      const slow = { ...o, warmupSeconds: 0, sequential: MONGO_REQUESTS };
      rows.push(...(await measure('MongoDB', { MONGODB_URI: uri }, slow)));
    } finally {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3000 });
      await client
        .connect()
        .then(() => client.db().dropDatabase())
        .catch(() => {})
        .finally(() => client.close());
    }
  } finally {
    await dev?.stop();
  }
  return rows;
}
