/**
 * Issue 14's cost check: the real `video-server start --only stream` (one HTTP thread) with
 * metrics and the access log ON (METRICS_PORT set, ACCESS_LOG=on, LOG_LEVEL=info, stdout to a
 * file as a log shipper would read it) vs OFF (METRICS_PORT=0, ACCESS_LOG=off). Request ids are
 * on in both (they cannot be turned off). wrk drives the 404 workload (the cheapest request, so
 * the largest relative cost) and the 1-byte range; rounds are interleaved and medians compared,
 * wall clock and per CPU-second of the server process. Goal: ≤ 5% on the 404 workload.
 *
 * `npm run bench:http` runs it last (one line in run.ts); alone: `npx tsx bench/http/ops.ts`.
 * Writes bench/results/http-ops.md.
 */
import { randomUUID } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../test/helpers/ports.js';
import { machine } from '../channels/machine.js';
import { benchFixture } from './fixture.js';
import { nginxTarget, type ServerProcess, serverProcess, type Target } from './targets.js';
import { wrk } from './wrk.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** (off − on) ÷ off as a percentage. */
const cost = (on: number, off: number) => `${(((off - on) / off) * 100).toFixed(1)}%`;

/**
 * ROUNDS rounds of `wl` against every target, the order alternating each round so drift favours
 * none; per target its requests/s and requests per CPU-second, and the load after each round.
 */
async function interleaved(
  tmp: string,
  targets: readonly Target[],
  wl: { path: () => string; lua: string },
): Promise<{ wall: Map<string, number[]>; perCpu: Map<string, number[]>; loads: string[] }> {
  const wall = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const perCpu = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const loads: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
      const c0 = t.cpu();
      const r = await wrk(tmp, {
        url: `${t.url}${wl.path()}`,
        lua: wl.lua,
        connections: 32,
        seconds: SECONDS,
      });
      wall.get(t.name)!.push(r.rps);
      perCpu.get(t.name)!.push(r.requests / (t.cpu() - c0));
    }
    loads.push(loadavg()[0]!.toFixed(1));
  }
  return { wall, perCpu, loads };
}

export async function opsCost(): Promise<void> {
  const { tmp, config, vid } = await benchFixture();
  // A port free a moment ago, not a random one that another process may hold.
  const metricsPort = String((await freePorts(1))[0]);
  const servers: ServerProcess[] = [];
  const workloads = [
    { name: 'GET unknown id (404)', path: () => `/videos/${randomUUID()}`, lua: '' },
    {
      name: 'GET 1-byte range (206)',
      path: () => `/videos/${vid}`,
      lua: 'wrk.headers["Range"] = "bytes=0-0"\n',
    },
  ];
  const rows: string[] = [];
  let nginxRow = '';
  const nginx: Target[] = [];
  try {
    servers.push(
      await serverProcess('ops on', tmp, config.dataDir, {
        METRICS_PORT: metricsPort,
        ACCESS_LOG: 'on',
        LOG_LEVEL: 'info',
        SHUTDOWN_GRACE_MS: '0',
      }),
      await serverProcess('access log only', tmp, config.dataDir, {
        METRICS_PORT: '0',
        ACCESS_LOG: 'on',
        LOG_LEVEL: 'info',
        SHUTDOWN_GRACE_MS: '0',
      }),
      await serverProcess('ops off', tmp, config.dataDir, {
        METRICS_PORT: '0',
        ACCESS_LOG: 'off',
        LOG_LEVEL: 'info',
        SHUTDOWN_GRACE_MS: '0',
      }),
    );
    for (const s of servers) {
      await wrk(tmp, { url: `${s.url}/videos/${vid}`, lua: '', connections: 4, seconds: 1 });
    }
    for (const wl of workloads) {
      const { wall, perCpu, loads } = await interleaved(tmp, servers, wl);
      const on = median(wall.get('ops on')!);
      const off = median(wall.get('ops off')!);
      const cOn = median(perCpu.get('ops on')!);
      const cOff = median(perCpu.get('ops off')!);
      const cLog = median(perCpu.get('access log only')!);
      const row = `| ${wl.name} | ${Math.round(on)} | ${Math.round(off)} | ${cost(on, off)} | ${Math.round(cOn)} | ${Math.round(cOff)} | ${cost(cOn, cOff)} | ${cost(cLog, cOff)} | ${loads.join(', ')} |`;
      console.log(row);
      rows.push(row);
    }
    // The same question asked of nginx: its own JSON access log (buffered the same way) vs none.
    const videos = join(config.dataDir, 'videos');
    nginx.push(
      await nginxTarget(videos, tmp, join(tmp, 'nginx-access.log')),
      await nginxTarget(videos, tmp),
    );
    const { perCpu } = await interleaved(tmp, nginx, workloads[0]!);
    const on = median(perCpu.get(nginx[0]!.name)!);
    const off = median(perCpu.get(nginx[1]!.name)!);
    nginxRow = `| nginx, ${workloads[0]!.name} | ${Math.round(on)} | ${Math.round(off)} | ${cost(on, off)} |`;
    console.log(nginxRow);
  } finally {
    for (const t of nginx) await t.stop();
    for (const s of servers) await s.stop();
    // Its size, not its text: at ~60 k lines/s a quiet run writes more than a string can hold.
    const bytes = servers.length ? (await stat(servers[0]!.logFile)).size : 0;
    console.log(`ops on wrote ${(bytes / 2 ** 20).toFixed(0)} MiB of log`);
    await rm(tmp, { recursive: true, force: true });
  }
  const md = `# Cost of metrics + access log (issue 14)

\`npm run bench:http\` (last step) or \`npx tsx bench/http/ops.ts\`: the real server
(\`video-server start --only stream\`, one HTTP thread) twice — **on**: METRICS_PORT set,
ACCESS_LOG=on, LOG_LEVEL=info, stdout to a file; **off**: METRICS_PORT=0, ACCESS_LOG=off.
Request ids are on in all. A third server with the access log but no metrics splits the cost. wrk, 1 thread, 32 connections, median of ${ROUNDS} interleaved
${SECONDS} s runs per cell (the order alternates each round). Cost = (off − on) ÷ off; goal ≤ 5%
on the 404 workload. Per CPU-second = requests ÷ CPU time of the server process in that run.

| workload | on req/s | off req/s | cost (wall) | on req per CPU-s | off req per CPU-s | cost (CPU) | access log alone (CPU) | load (1 min) per round |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

nginx's own access log on the same 404 (one worker; a JSON line of the same fields,
\`buffer=64k flush=100ms\`; \`log_not_found off\` in both), per CPU-second of nginx:

| workload | logged req per CPU-s | unlogged req per CPU-s | cost (CPU) |
|---|---|---|---|
${nginxRow}

Machine (the load average below says how busy it was; wrk shares the 2 cores, so expect noise):

${machine()}
`;
  await writeFile(join(ROOT, 'bench', 'results', 'http-ops.md'), md);
  console.log('wrote bench/results/http-ops.md');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  await opsCost();
}
