/**
 * Issue 14's cost check: the real `video-server start --only stream` (one HTTP thread) with
 * metrics and the access log ON (METRICS_PORT set, ACCESS_LOG=on, LOG_LEVEL=info, stdout to a
 * file as a log shipper would read it) vs OFF (METRICS_PORT=0, ACCESS_LOG=off), plus one server
 * with each alone to split the cost. Request ids are on in all (they cannot be turned off). wrk
 * drives the 404 workload (the cheapest request, so the largest relative cost) and the 1-byte
 * range; rounds are interleaved, and each round's cost is paired against the OFF server's run in
 * that same round, so drift between rounds cancels; the tables give medians. Every run starts a
 * fresh server process (see `fresh`). Where the machine
 * allows (cpu.ts `canPin`), every server runs on core 1 and wrk on core 0: unpinned, 2 s rounds
 * swung ±3–4 points. Goal: ≤ 5% on the 404 workload.
 *
 * `npm run bench:http` runs it last (one line in run.ts); alone: `npx tsx bench/http/ops.ts`.
 * Writes bench/results/http-ops.md, keeping its History section (the record of earlier runs).
 *
 * A focused run, `BENCH_OPS_FOCUS=1 BENCH_ROUNDS=81 npx tsx bench/http/ops.ts`: only ON and OFF
 * on the 404 workload, no nginx, so many more rounds fit in the same time (a paired round swings
 * several points, so the median of 15 is good to ±3–4); writes bench/results/http-ops-404.md,
 * keeping its Runs section. Both report a 95% interval of the median cost (stats.ts `medianInterval`).
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../test/helpers/ports.js';
import { machine } from '../channels/machine.js';
import { median, medianInterval } from '../stats.js';
import { canPin, pinTree } from './cpu.js';
import { benchFixture } from './fixture.js';
import { nginxTarget, type ServerProcess, serverProcess, type Target } from './targets.js';
import { wrk } from './wrk.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const FOCUS = process.env.BENCH_OPS_FOCUS === '1';
const PIN = canPin();
/** Where the servers and wrk run when pinned. */
const SERVER_CPU = 1;
const WRK_CPU = 0;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

interface Runs {
  /** Per target, per round: requests/s and requests per CPU-second of the server. */
  wall: Map<string, number[]>;
  perCpu: Map<string, number[]>;
  loads: string[];
}

/**
 * How a round reaches a target: `open` gives it (a fresh process, or one kept for the whole run)
 * and `close` ends what `open` started.
 */
interface Fleet {
  names: readonly string[];
  open(name: string): Promise<Target>;
  close(t: Target): Promise<void>;
}

/** The same targets every round (nginx's pair). */
const kept = (targets: readonly Target[]): Fleet => ({
  names: targets.map((t) => t.name),
  open: async (name) => targets.find((t) => t.name === name)!,
  close: async () => {},
});

/**
 * ROUNDS rounds of `wl` against every target of `fleet`, the order alternating each round so
 * drift favours none; per target its requests/s and requests per CPU-second, and the load after
 * each round.
 */
async function interleaved(
  tmp: string,
  fleet: Fleet,
  wl: { path: () => string; lua: string },
): Promise<Runs> {
  const wall = new Map<string, number[]>(fleet.names.map((n) => [n, []]));
  const perCpu = new Map<string, number[]>(fleet.names.map((n) => [n, []]));
  const loads: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? fleet.names : [...fleet.names].reverse()) {
      const t = await fleet.open(name);
      try {
        const c0 = t.cpu();
        const r = await wrk(tmp, {
          url: `${t.url}${wl.path()}`,
          lua: wl.lua,
          connections: 32,
          seconds: SECONDS,
          ...(PIN ? { cpu: WRK_CPU } : {}),
        });
        wall.get(name)!.push(r.rps);
        perCpu.get(name)!.push(r.requests / (t.cpu() - c0));
      } finally {
        await fleet.close(t);
      }
    }
    loads.push(loadavg()[0]!.toFixed(1));
  }
  return { wall, perCpu, loads };
}

/** Each round's (off − on) ÷ off: its `on` against that round's `off`. */
function roundCosts(rates: Map<string, number[]>, on: string, off: string): number[] {
  const a = rates.get(on)!;
  const b = rates.get(off)!;
  return a.map((x, i) => (b[i]! - x) / b[i]!);
}

/** The median over rounds of the paired costs (roundCosts). */
function pairedCost(rates: Map<string, number[]>, on: string, off: string): number {
  return median(roundCosts(rates, on, off));
}

/** medianInterval of the paired costs, as `a – b%`. */
function costInterval(rates: Map<string, number[]>, on: string, off: string): string {
  const [lo, hi] = medianInterval(roundCosts(rates, on, off));
  return `${(lo * 100).toFixed(1)} – ${(hi * 100).toFixed(1)}%`;
}

/** The middle half of the rounds' paired costs (their quartiles), as `a–b%`. */
function pairedSpread(rates: Map<string, number[]>, on: string, off: string): string {
  const xs = roundCosts(rates, on, off).sort((x, y) => x - y);
  const q = (f: number) => (xs[Math.floor(f * (xs.length - 1))]! * 100).toFixed(1);
  return `${q(0.25)} – ${q(0.75)}%`;
}

/** The median over rounds of the extra CPU per request of `on` over `off`, in ns. */
function extraNs(perCpu: Map<string, number[]>, on: string, off: string): number {
  const a = perCpu.get(on)!;
  const b = perCpu.get(off)!;
  return median(a.map((x, i) => (1 / x - 1 / b[i]!) * 1e9));
}

export async function opsCost(): Promise<void> {
  const { tmp, config, vid } = await benchFixture();
  const quiet = { LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '0' };
  /** Every server configuration; METRICS_PORT 'free' takes a free port at each start. */
  type Config = { name: string; env: Record<string, string>; stdout?: 'pipe' };
  const all: Config[] = [
    { name: 'ops on', env: { ...quiet, METRICS_PORT: 'free', ACCESS_LOG: 'on' } },
    { name: 'access log only', env: { ...quiet, METRICS_PORT: '0', ACCESS_LOG: 'on' } },
    {
      name: 'access log to a pipe',
      env: { ...quiet, METRICS_PORT: '0', ACCESS_LOG: 'on' },
      stdout: 'pipe',
    },
    { name: 'metrics only', env: { ...quiet, METRICS_PORT: 'free', ACCESS_LOG: 'off' } },
    { name: 'ops off', env: { ...quiet, METRICS_PORT: '0', ACCESS_LOG: 'off' } },
  ];
  const configs = all.filter((c) => !FOCUS || c.name === 'ops on' || c.name === 'ops off');
  const workloads = [
    { name: 'GET unknown id (404)', path: () => `/videos/${randomUUID()}`, lua: '' },
    {
      name: 'GET 1-byte range (206)',
      path: () => `/videos/${vid}`,
      lua: 'wrk.headers["Range"] = "bytes=0-0"\n',
    },
  ].slice(0, FOCUS ? 1 : 2);
  const rows: string[] = [];
  /** Each round's paired on-vs-off cost, so runs can be pooled. */
  const rounds: string[] = [];
  let nginxRow = '';
  const nginx: Target[] = [];
  const running = new Set<ServerProcess>();
  let onLog = '';
  /**
   * A fresh server process for every run: one process kept for the whole benchmark carried its
   * own speed (four identical servers differed by up to ±4% over a whole run, nearly the goal),
   * which pairing by round cannot cancel; a new process each run makes that part of each round's
   * noise instead, which the median over rounds does average out.
   */
  const fresh = (wl: { path: () => string; lua: string }): Fleet => ({
    names: configs.map((c) => c.name),
    open: async (name) => {
      const c = configs.find((x) => x.name === name)!;
      const env = { ...c.env };
      if (env.METRICS_PORT === 'free') env.METRICS_PORT = String((await freePorts(1))[0]);
      const s = await serverProcess(name, tmp, config.dataDir, env, c.stdout);
      running.add(s);
      if (name === 'ops on') onLog = s.logFile;
      if (PIN) pinTree(s.child.pid!, SERVER_CPU);
      // Warm: V8 compiles the request path before the measured run.
      await wrk(tmp, {
        url: `${s.url}${wl.path()}`,
        lua: wl.lua,
        connections: 32,
        seconds: 1,
        ...(PIN ? { cpu: WRK_CPU } : {}),
      });
      return s;
    },
    close: async (t) => {
      running.delete(t as ServerProcess);
      await t.stop();
    },
  });
  // This process reads the piped server's stdout (its log shipper): on wrk's core, not the
  // servers'. Its children (the servers, pinned again once started; wrk) inherit it.
  if (PIN) pinTree(process.pid, WRK_CPU);
  try {
    for (const wl of workloads) {
      const { wall, perCpu, loads } = await interleaved(tmp, fresh(wl), wl);
      const m = (runs: Map<string, number[]>, name: string) => Math.round(median(runs.get(name)!));
      const cpuCost = (name: string) => pct(pairedCost(perCpu, name, 'ops off'));
      const alone = FOCUS
        ? ''
        : ` ${cpuCost('access log only')} | ${cpuCost('access log to a pipe')} | ${cpuCost('metrics only')} |`;
      const row = `| ${wl.name} | ${m(wall, 'ops on')} | ${m(wall, 'ops off')} | ${pct(pairedCost(wall, 'ops on', 'ops off'))} | ${m(perCpu, 'ops on')} | ${m(perCpu, 'ops off')} | **${cpuCost('ops on')}** | ${costInterval(perCpu, 'ops on', 'ops off')} | ${pairedSpread(perCpu, 'ops on', 'ops off')} | ${Math.round(extraNs(perCpu, 'ops on', 'ops off'))} |${alone} ${loads.join(', ')} |`;
      console.log(row);
      rows.push(row);
      const each = roundCosts(perCpu, 'ops on', 'ops off').map(pct).join(', ');
      rounds.push(`- ${wl.name}, on vs off per CPU-second, round by round: ${each}`);
      console.log(rounds.at(-1));
    }
    // The same question asked of nginx: its own JSON access log (buffered the same way) vs none.
    if (!FOCUS) {
      const videos = join(config.dataDir, 'videos');
      nginx.push(
        await nginxTarget(videos, tmp, join(tmp, 'nginx-access.log')),
        await nginxTarget(videos, tmp),
      );
      if (PIN) for (const t of nginx) pinTree(t.pid!, SERVER_CPU);
      const { perCpu } = await interleaved(tmp, kept(nginx), workloads[0]!);
      const [logged, plain] = [nginx[0]!.name, nginx[1]!.name];
      nginxRow = `| nginx, ${workloads[0]!.name} | ${Math.round(median(perCpu.get(logged)!))} | ${Math.round(median(perCpu.get(plain)!))} | ${pct(pairedCost(perCpu, logged, plain))} | ${Math.round(extraNs(perCpu, logged, plain))} |`;
      console.log(nginxRow);
    }
  } finally {
    if (PIN) pinTree(process.pid, `0-${availableParallelism() - 1}`);
    for (const t of nginx) await t.stop();
    for (const s of running) await s.stop();
    // Its size, not its text: at ~60 k lines/s a run writes more than a string can hold.
    const bytes = onLog ? (await stat(onLog)).size : 0;
    console.log(`ops on's last run wrote ${(bytes / 2 ** 20).toFixed(0)} MiB of log`);
    await rm(tmp, { recursive: true, force: true });
  }
  const pinning = PIN
    ? `every server on core ${SERVER_CPU}, wrk on core ${WRK_CPU} (taskset)`
    : '**unpinned** (no taskset or one core: expect ±3–4 points of noise)';
  const measure = `Cost = (off − on) ÷ off, each round's run against the off server's run in the same
round, median over rounds, with a 95% interval of that median (percentile bootstrap over the
rounds, 10,000 resamples); goal ≤ 5% on the 404 workload. Per CPU-second = requests ÷ CPU time
of the server process in that run; extra CPU = on's CPU per request minus off's (median).`;
  if (FOCUS) {
    await results(
      'http-ops-404.md',
      `# Cost of metrics + access log on the 404 (issue 14), focused

\`BENCH_OPS_FOCUS=1 BENCH_ROUNDS=${ROUNDS} npx tsx bench/http/ops.ts\`: the 404 workload of
[http-ops.md](http-ops.md) with only its **on** and **off** servers and no nginx, so that many
rounds fit in one run. wrk, 1 thread, 32 connections, ${ROUNDS} interleaved ${SECONDS} s runs per
server (the order alternates each round), each run a fresh server process warmed for 1 s;
${pinning}. ${measure}

| workload | on req/s | off req/s | cost (wall) | on req per CPU-s | off req per CPU-s | cost (CPU) | 95% interval of the median | cost (CPU), middle half of rounds | extra CPU per request (ns) | load (1 min) per round |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${rounds.join('\n')}

Machine (the load average below says how busy it was):

${machine()}
`,
    );
    return;
  }
  const md = `# Cost of metrics + access log (issue 14)

\`npm run bench:http\` (last step) or \`npx tsx bench/http/ops.ts\`: the real server
(\`video-server start --only stream\`, one HTTP thread) five times — **on**: METRICS_PORT set,
ACCESS_LOG=on, LOG_LEVEL=info, stdout to a file; **off**: METRICS_PORT=0, ACCESS_LOG=off; each
of the two alone; and the access log alone with stdout a pipe that this process reads and
discards (docker's and Kubernetes' case; the reader on wrk's core when pinned). Request ids are on in all. wrk, 1 thread, 32 connections, ${ROUNDS} interleaved
${SECONDS} s runs per server (the order alternates each round), each run a fresh server process
warmed for 1 s (a process kept for a whole run carries its own speed, up to ±4%); ${pinning}.
${measure}

| workload | on req/s | off req/s | cost (wall) | on req per CPU-s | off req per CPU-s | cost (CPU) | 95% interval of the median | cost (CPU), middle half of rounds | extra CPU per request (ns) | access log alone (CPU) | access log alone, stdout a pipe (CPU) | metrics alone (CPU) | load (1 min) per round |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${rounds.join('\n')}

nginx's own access log on the same 404 (one worker${PIN ? `, on core ${SERVER_CPU}` : ''}; a JSON line of the
same fields, \`buffer=64k flush=100ms\`; \`log_not_found off\` in both), per CPU-second of nginx:

| workload | logged req per CPU-s | unlogged req per CPU-s | cost (CPU) | extra CPU per request (ns) |
|---|---|---|---|---|
${nginxRow}

Machine (the load average below says how busy it was):

${machine()}
`;
  await results('http-ops.md', md);
}

/** Where a results file's hand-written record of earlier runs starts: a rerun keeps it. */
export const KEPT = /^## (History|Runs)\b/m;

/** Writes a results file: this run's report, then the earlier runs' record already in it. */
async function results(file: string, md: string): Promise<void> {
  const path = join(ROOT, 'bench', 'results', file);
  const before = await readFile(path, 'utf8').catch(() => '');
  const at = before.search(KEPT);
  await writeFile(path, at < 0 ? md : `${md}\n${before.slice(at)}`);
  console.log(`wrote bench/results/${file}${at < 0 ? '' : ' (its record of earlier runs kept)'}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  await opsCost();
}
