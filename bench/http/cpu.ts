/**
 * CPU time of a serving process, so every bench:http row can also say requests (or bytes) per
 * CPU-second: on a shared 2-core machine wall-clock rates move with other jobs' load, CPU cost
 * per request much less.
 *
 * In-process targets (our uWS host, the node:http worker) count this whole process: the
 * benchmark's own main thread is idle while wrk runs, so that overcounts them slightly — never
 * in their favour. Child processes (Go, nginx master + workers) are read from /proc.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on Linux). */
const HZ = 100;

function procSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name: state is the first, utime the 12th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / HZ;
  } catch {
    return 0; // exited
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Cumulative CPU seconds (user + system) of `pid` and its child processes. */
export function processTreeCpu(pid: number): number {
  return procSeconds(pid) + children(pid).reduce((s, c) => s + processTreeCpu(c), 0);
}

/**
 * Whether this machine can pin a server and its load generator to separate cores (taskset from
 * util-linux, at least 2 cores). Unpinned, the scheduler moves them about and a 2 s round's
 * per-CPU-second figure swings by ±3–4 % (bench/results/http-ops.md).
 */
export function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of `pid` and of its child processes (nginx's workers) to `cpus` (a list). */
export function pinTree(pid: number, cpus: number | string): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpus), String(pid)], { stdio: 'ignore' });
  for (const c of children(pid)) pinTree(c, cpus);
}

/** Cumulative CPU seconds of this process (every thread). */
export function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
