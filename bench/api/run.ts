/**
 * `npm run bench:api`: requests/s for listing a user's videos and posting a comment, directly
 * on the api service and through the web front's `/api` relay — co-located (the relay calls the
 * api handler in-process) and split (a separate `--only web` process relaying over HTTP to
 * API_URL). Real `video-server start` processes, one HTTP thread each, embedded storage; wrk
 * drives the load. Prints a table with ratios and writes bench/results/api.md.
 *
 * Then the browse side (browse.ts): listings and pages with 10,000 videos, both stores.
 *
 * BENCH_SECONDS (default 5) and BENCH_CONNECTIONS (default 32) tune a run; BENCH_API_ONLY
 * (`relay`, `browse`, default both) runs one part and keeps the other's table from the last run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';
import { machine } from '../channels/machine.js';
import { type BrowseRow, benchBrowse, MONGO_REQUESTS } from './browse.js';
import { type WrkRequest, type WrkResult, wrk } from './wrk.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WARMUP_SECONDS = 1;
const RESULTS = fileURLToPath(new URL('../results/api.md', import.meta.url));

async function json(
  url: string,
  init: RequestInit,
  // biome-ignore lint/suspicious/noExplicitAny: set-up reads a few known fields of api answers
): Promise<{ status: number; body: any; cookie: string }> {
  const res = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : undefined,
    cookie: res.headers.get('set-cookie') ?? '',
  };
}

async function setUp(api: string, web: string) {
  const pwd = 'bench password';
  const user = `bench_${Date.now().toString(36)}`;
  const reg = await json(`${api}/user`, {
    method: 'POST',
    body: JSON.stringify({ user_name: user, pwd }),
  });
  const sid = reg.body.session_id as string;
  const me = await json(`${api}/user/${user}`, { headers: { 'x-session-id': sid } });
  for (let i = 0; i < 10; i++) {
    await json(`${api}/user/${user}/videos`, {
      method: 'POST',
      headers: { 'x-session-id': sid },
      body: JSON.stringify({ author_id: me.body.id, name: `video ${i}` }),
    });
  }
  const list = await json(`${api}/user/${user}/videos`, { headers: { 'x-session-id': sid } });
  if (list.status !== 200)
    throw new Error(
      `set-up: list answered ${list.status} ${JSON.stringify(list.body)} (register ${reg.status} ${JSON.stringify(reg.body)})`,
    );
  // The web front's cookie comes from a login through its relay, like a browser's.
  const login = await json(`${web}/api`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      url: `/user/${user}`,
      method: 'POST',
      req_body: JSON.stringify({ user_name: user, pwd }),
    }),
  });
  const cookie = login.cookie.split(';')[0]!;
  return { user, sid, id: me.body.id as string, vid: list.body.videos[0].id as string, cookie };
}

type Op = 'list videos' | 'post comment';

function requests(op: Op, s: Awaited<ReturnType<typeof setUp>>, api: string) {
  const path = op === 'list videos' ? `/user/${s.user}/videos` : `/videos/${s.vid}/comments`;
  const body =
    op === 'post comment'
      ? JSON.stringify({ author_id: s.id, content: 'a benchmark comment' })
      : undefined;
  const direct: WrkRequest = {
    url: api + path,
    method: op === 'list videos' ? 'GET' : 'POST',
    headers: { 'X-Session-Id': s.sid, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body,
  };
  const relayed = (base: string, cookie: string): WrkRequest => ({
    url: `${base}/api`,
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie },
    body: JSON.stringify({ url: path, method: direct.method, req_body: body ?? '' }),
  });
  return { direct, relayed };
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 2) : '–');

const PARTS = (process.env.BENCH_API_ONLY ?? 'relay,browse').split(',');

async function main() {
  const rows: string[] = [];
  const print: string[] = [];
  if (PARTS.includes('relay')) await relay(rows, print);
  const browse = PARTS.includes('browse')
    ? await benchBrowse({
        connections: CONNECTIONS,
        seconds: SECONDS,
        warmupSeconds: WARMUP_SECONDS,
      })
    : [];
  const load = loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  for (const r of browse) {
    print.push(
      `browse ${r.store.padEnd(9)} ${r.name.padEnd(30)} ${fmt(r.rps).padStart(8)} req/s  ${fmt(r.ratio).padStart(5)}×`,
    );
  }
  console.log(print.join('\n'));
  // A part not run this time keeps its section from the previous results.
  const old = await readFile(RESULTS, 'utf8').catch(() => '');
  const section = (start: string, ...ends: string[]) => {
    const a = old.indexOf(start);
    if (a === -1) return [];
    const b = Math.min(...ends.map((e) => old.indexOf(e, a + start.length)).filter((i) => i > 0));
    return old
      .slice(a, Number.isFinite(b) ? b : undefined)
      .trimEnd()
      .split('\n');
  };
  const md = [
    ...(rows.length ? relaySection(rows) : section('# api benchmark', '## Browse', '## Machine')),
    '',
    ...(browse.length ? browseSection(browse, load) : section('## Browse', '## Machine')),
    '',
    '## Machine',
    '',
    machine(),
    '',
  ].join('\n');
  await writeFile(RESULTS, md);
  console.log(`\nwritten ${RESULTS}`);
}

function relaySection(rows: string[]): string[] {
  return [
    '# api benchmark',
    '',
    `wrk, 1 thread, ${CONNECTIONS} connections, ${SECONDS} s per row after a ${WARMUP_SECONDS} s warm-up of each; real \`video-server start\` processes,`,
    'HTTP_THREADS=1, embedded LMDB on a temp DATA_DIR. "× api" is requests/s relative to the api',
    'called directly (X-Session-Id header); the web rows go through `POST /api` with the session',
    'cookie: co-located = the relay calls the api handler in-process; split = a separate',
    '`--only web` process relaying over HTTP to API_URL. wrk shares the 2 cores with the servers.',
    '',
    '| operation | path | req/s | × api | p50 ms | p99 ms |',
    '|---|---|---:|---:|---:|---:|',
    ...rows,
  ];
}

async function relay(rows: string[], print: string[]) {
  const servers: TestServer[] = [];
  try {
    // The comment throttle (RATE_LIMITS comment-user, 30/min by default) would turn this
    // throughput benchmark into a 429 benchmark: lift it for these servers only.
    const env = { RATE_LIMITS: 'comment-user=1000000/1' };
    const all = await startTestServer({ timeoutMs: 60_000, env });
    servers.push(all);
    const api = all.urls.api!;
    const web = all.urls.web!;
    const split = await startTestServer({
      only: 'web',
      env: { ...env, API_URL: api, STREAM_URL: all.urls.stream! },
    });
    servers.push(split);
    const s = await setUp(api, web);
    const splitLogin = await setUp(api, split.urls.web!); // its own cookie via the split front
    const opts = { threads: 1, connections: CONNECTIONS, seconds: SECONDS };
    for (const op of ['list videos', 'post comment'] as Op[]) {
      const { direct, relayed } = requests(op, s, api);
      const splitReq = requests(op, splitLogin, api).relayed(split.urls.web!, splitLogin.cookie);
      const cases: Array<[string, WrkRequest]> = [
        ['api direct', direct],
        ['web /api (co-located)', relayed(web, s.cookie)],
        ['web /api (split, HTTP)', splitReq],
      ];
      // Warm every path first (JIT, connection pools), so no row pays for the others' start-up.
      for (const [, req] of cases) await wrk(req, { ...opts, seconds: WARMUP_SECONDS });
      const results: Array<[string, WrkResult]> = [];
      for (const [name, req] of cases) results.push([name, await wrk(req, opts)]);
      const base = results[0]![1].rps;
      for (const [name, r] of results) {
        if (r.non2xx > 0)
          throw new Error(`${op} / ${name}: ${r.non2xx} non-2xx responses of ${r.requests}`);
        const row = `| ${op} | ${name} | ${fmt(r.rps)} | ${fmt(r.rps / base)}× | ${fmt(r.p50ms)} | ${fmt(r.p99ms)} |`;
        rows.push(row);
        print.push(
          `${op.padEnd(13)} ${name.padEnd(24)} ${fmt(r.rps).padStart(8)} req/s  ${fmt(r.rps / base).padStart(5)}×  p50 ${fmt(r.p50ms)} ms  p99 ${fmt(r.p99ms)} ms`,
        );
      }
    }
  } finally {
    for (const srv of servers.reverse()) await srv.stop();
  }
}

function browseSection(rows: BrowseRow[], load: string): string[] {
  return [
    '## Browse and watch pages (10,000 videos)',
    '',
    `Load average when this part finished: ${load} (2 cores shared with other jobs: ratios, not`,
    'absolute numbers, are what this run can tell).',
    '',
    '100 users × 100 public, ready videos written through the store port, then the real server',
    'restarted on that data (web, api and stream in one process, HTTP_THREADS=1); same wrk settings.',
    '"× per-user" is requests/s relative to the per-user list the site had before (the owner\'s',
    '100 videos, `GET /user/:name/videos` with X-Session-Id) on the same store. Pages are anonymous',
    'GETs of the web front: the api is called in-process, then nunjucks renders the HTML.',
    'MongoDB rows: the dev server (FerretDB 1.24 on SQLite, not a real mongod; it scans every',
    `record for a listing), too slow for wrk to count anything: ${MONGO_REQUESTS} sequential requests per row`,
    'on one connection, req/s = 1 / mean latency; p99 = the slowest.',
    '',
    '| store | request | req/s | × per-user | p50 ms | p99 ms |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.store} | ${r.name} | ${fmt(r.rps)} | ${fmt(r.ratio)}× | ${fmt(r.p50ms)} | ${fmt(r.p99ms)} |`,
    ),
  ];
}

await main();
