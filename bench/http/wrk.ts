/** wrk (Debian's) with a Lua script; parses requests/s, bytes/s and the non-2xx count. */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkRun {
  url: string;
  /** Lua script body (sets wrk.method, wrk.headers, or defines request()). */
  lua: string;
  connections: number;
  seconds: number;
  /** @default 1 — on a 2-core machine wrk gets one core and the server the other */
  threads?: number;
  /** Per-request timeout (wrk's default is 2 s; slow stores need more). */
  timeoutSeconds?: number;
  /** Run wrk on this core only (taskset; see cpu.ts `canPin`). */
  cpu?: number;
}

/** A row of a benchmark table: what wrk sends and how the row is reported. */
export interface Workload {
  name: string;
  unit: 'req/s' | 'GB/s';
  connections: number;
  /** Lua script body (see WrkRun.lua). */
  lua: string;
}

export interface WrkResult {
  rps: number;
  /** Completed requests and bytes read over the whole run. */
  requests: number;
  bytes: number;
  bytesPerSec: number;
  non2xx: number;
  errors: number;
}

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

export async function wrk(dir: string, r: WrkRun): Promise<WrkResult> {
  const script = join(dir, `wrk-${Math.random().toString(16).slice(2)}.lua`);
  await writeFile(script, r.lua);
  const args = [
    `-t${r.threads ?? 1}`,
    `-c${r.connections}`,
    `-d${r.seconds}s`,
    ...(r.timeoutSeconds ? ['--timeout', `${r.timeoutSeconds}s`] : []),
    '-s',
    script,
    r.url,
  ];
  const { stdout } =
    r.cpu === undefined
      ? await run('wrk', args)
      : await run('taskset', ['-c', String(r.cpu), 'wrk', ...args]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
  const t = /Transfer\/sec:\s+([\d.]+)([KMGT]?B)/.exec(stdout);
  const bytesPerSec = t ? Number(t[1]) * (UNITS[t[2]!] ?? 1) : Number.NaN;
  const total = /(\d+) requests in [\d.]+\w+, ([\d.]+)([KMGT]?B) read/.exec(stdout);
  const requests = Number(total?.[1] ?? Number.NaN);
  const bytes = total ? Number(total[2]) * (UNITS[total[3]!] ?? 1) : Number.NaN;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const e = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = e ? e.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
  return { rps, requests, bytes, bytesPerSec, non2xx, errors };
}
