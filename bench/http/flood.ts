/**
 * `npm run bench:http` (last part; alone: `tsx bench/http/flood.ts`): download latency while
 * 32 clients hammer sign-in with a wrong password, against the same downloads on an idle server
 * (issue 10: "today 32 concurrent wrong sign-ins push a 10 KB upload from 6 ms to 8.5 s"; goal:
 * download p99 during the flood within 2× idle). One process running the api and the stream
 * service (`startHttpHost`, HTTP_THREADS=1, so the hashing pool is 1 thread), driven from this
 * thread over keep-alive loopback connections.
 *
 * Phases, each FLOOD_SECONDS (default 5) long, in one run:
 *   idle        downloads only
 *   throttled   + the flood, default RATE_LIMITS: after the per-address budget, sign-ins are 429
 *   unthrottled + the flood with limits raised out of reach: every attempt costs one scrypt on
 *               the password pool (what an attacker with many addresses can make us do)
 * A download is GET /videos/:vid with a 64 KiB range, 4 at a time, back to back.
 * Writes bench/results/http-flood.md (machine description, load average per phase).
 */
import { rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_RATE_LIMITS } from '../../src/config.js';
import { startHttpHost } from '../../src/http/host.js';
import { machine } from '../channels/machine.js';
import { benchFixture } from './fixture.js';

const SECONDS = Number(process.env.FLOOD_SECONDS ?? 5);
const FLOODERS = 32;
const DOWNLOADERS = 4;
const RANGE = 64 * 1024;

interface Answer {
  status: number;
  ms: number;
}

function call(
  agent: Agent,
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
) {
  return new Promise<Answer>((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request(url, { method, agent, headers });
    req.on('error', reject);
    req.on('response', (res) => {
      res.on('data', () => {});
      res.on('end', () =>
        resolve({ status: res.statusCode!, ms: Number(process.hrtime.bigint() - t0) / 1e6 }),
      );
    });
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

interface Phase {
  name: string;
  downloads: number[];
  signIns: Map<number, number>;
  seconds: number;
  load: string;
}

async function phase(
  name: string,
  urls: { stream: string; api: string },
  vid: string,
  flood: boolean,
  seconds = SECONDS,
): Promise<Phase> {
  const agent = new Agent({ keepAlive: true, maxSockets: FLOODERS + DOWNLOADERS });
  const stopAt = Date.now() + seconds * 1000;
  const downloads: number[] = [];
  const signIns = new Map<number, number>();
  const download = async () => {
    while (Date.now() < stopAt) {
      const a = await call(agent, `${urls.stream}/videos/${vid}`, 'GET', {
        range: `bytes=0-${RANGE - 1}`,
      });
      if (a.status !== 206) throw new Error(`download answered ${a.status}`);
      downloads.push(a.ms);
    }
  };
  const body = JSON.stringify({ user_name: 'flooded', pwd: 'not the password' });
  const signIn = async () => {
    while (Date.now() < stopAt) {
      const a = await call(
        agent,
        `${urls.api}/user/flooded`,
        'POST',
        { 'content-type': 'application/json', 'content-length': String(body.length) },
        body,
      );
      signIns.set(a.status, (signIns.get(a.status) ?? 0) + 1);
    }
  };
  const t0 = Date.now();
  await Promise.all([
    ...Array.from({ length: DOWNLOADERS }, download),
    ...(flood ? Array.from({ length: FLOODERS }, signIn) : []),
  ]);
  const took = (Date.now() - t0) / 1000;
  agent.destroy();
  return { name, downloads, signIns, seconds: took, load: loadavg()[0]!.toFixed(1) };
}

export async function main(): Promise<string> {
  const { tmp, config, vid } = await benchFixture();
  const phases: Phase[] = [];
  const unlimited = { points: 1_000_000_000, durationSec: 60 };
  for (const [name, flood, rateLimits] of [
    ['idle', false, DEFAULT_RATE_LIMITS],
    ['throttled flood (default RATE_LIMITS)', true, DEFAULT_RATE_LIMITS],
    [
      'unthrottled flood (every attempt hashed)',
      true,
      { ...DEFAULT_RATE_LIMITS, signInAddress: unlimited, signInAccount: unlimited },
    ],
  ] as const) {
    const host = await startHttpHost({
      ...config,
      only: ['api', 'stream'],
      httpThreads: 1,
      ports: { ...config.ports, api: 0, stream: 0 },
      rateLimits,
      logLevel: 'error',
      accessLog: false,
    });
    try {
      const urls = { stream: host.urls.stream!, api: host.urls.api! };
      // Warm up: the password pool's thread and the file cache.
      await phase('warm-up', urls, vid, false, 1);
      phases.push(await phase(name, urls, vid, flood));
    } finally {
      await host.close(1000);
    }
  }
  await rm(tmp, { recursive: true, force: true });
  const idleP99 = pct(phases[0]!.downloads, 99);
  const lines = [
    '| phase | downloads | download p50 ms | download p99 ms | p99 ÷ idle | sign-in answers/s | of which 401 (hashed) /s | 429 /s | load (1 min) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const p of phases) {
    const total = [...p.signIns.values()].reduce((a, b) => a + b, 0);
    const per = (s: number) => ((p.signIns.get(s) ?? 0) / p.seconds).toFixed(1);
    lines.push(
      `| ${p.name} | ${p.downloads.length} | ${pct(p.downloads, 50).toFixed(2)} | ${pct(p.downloads, 99).toFixed(2)} | ${(pct(p.downloads, 99) / idleP99).toFixed(2)}× | ${(total / p.seconds).toFixed(1)} | ${per(401)} | ${per(429)} | ${p.load} |`,
    );
  }
  const table = lines.join('\n');
  console.log(`\n${table}\n`);
  const md = `# Download latency during a sign-in flood

\`npm run bench:http\` (its last part; alone: \`npx tsx bench/http/flood.ts\`). One process runs
the api and the stream service on one HTTP thread (so one password-hashing thread). For
${SECONDS} s per phase, ${DOWNLOADERS} clients download a ${RANGE / 1024} KiB range back to back
while ${FLOODERS} clients sign in to one account with a wrong password, over keep-alive loopback
connections. Goal (issue 10): download p99 during the flood ≤ 2× idle.

- **throttled**: the default \`RATE_LIMITS\` (60 sign-ins per address per minute, 10 per account
  per 5 min): past the budget each attempt is a 429 from one LMDB counter update, no hash.
- **unthrottled**: limits out of reach, so every attempt costs one scrypt (N=16384, r=8) on the
  password pool — the case of an attacker with many addresses and names. The hash pool has one
  thread per HTTP thread and a bounded queue, and no longer shares libuv's 4 threads with file I/O.

${table}

Machine (the load average below says how busy it was):

${machine()}
`;
  await writeFile(join('bench', 'results', 'http-flood.md'), md);
  console.log('wrote bench/results/http-flood.md');
  return table;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
