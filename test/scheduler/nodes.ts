/**
 * Scheduler nodes for the multi-node tests: child processes (test/fixtures/scheduler/
 * scheduler-process.ts) and worker threads (scheduler.worker.ts), plus the execution-log checks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../../src/config.js';
import type { SchedulerOptions, SchedulerStats } from '../../src/scheduler/index.js';
import { workerFile } from '../../src/worker-file.js';
import type {
  ExecutionLogLine,
  TestTaskOptions,
} from '../fixtures/scheduler/test-deletion.task.js';

const FIXTURE = fileURLToPath(
  new URL('../fixtures/scheduler/scheduler-process.ts', import.meta.url),
);

export interface ProcessNode {
  readonly owner: string;
  readonly child: ChildProcess;
  /** Sends a stdin command and resolves with the JSON after `<cmd> ` on stdout. */
  ask<T>(cmd: 'cpu' | 'stats'): Promise<T>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  stderr(): string;
  /** Its JSON log lines on stdout so far (the scheduler's threads log there). */
  logLines(): Array<Record<string, unknown>>;
}

/** `task`: what the tests' deletion task does (test/fixtures/scheduler/test-deletion.task.ts). */
export async function startProcessNode(
  env: Record<string, string>,
  options: SchedulerOptions,
  task: TestTaskOptions = {},
): Promise<ProcessNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: {
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...env,
      SCHEDULER_TEST_OPTIONS: JSON.stringify(options),
      VS_TEST_TASK: JSON.stringify(task),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const waiting = new Map<string, Array<(json: string) => void>>();
  let onReady: (owner: string) => void = () => {};
  const ready = new Promise<string>((res, rej) => {
    onReady = res;
    exited.then((code) => rej(new Error(`scheduler node exited (${code}) before ready:\n${err}`)));
  });
  const logLines: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{')) logLines.push(JSON.parse(line) as Record<string, unknown>);
    const sp = line.indexOf(' ');
    const word = line.slice(0, sp);
    const rest = line.slice(sp + 1);
    if (word === 'ready') onReady(rest);
    else waiting.get(word)?.shift()?.(rest);
  });
  const owner = await ready;
  return {
    owner,
    child,
    ask<T>(cmd: 'cpu' | 'stats') {
      return new Promise<T>((res) => {
        const q = waiting.get(cmd) ?? [];
        q.push((json) => res(JSON.parse(json) as T));
        waiting.set(cmd, q);
        child.stdin!.write(`${cmd}\n`);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stderr: () => err,
    logLines: () => [...logLines],
  };
}

export interface ThreadNode {
  readonly owner: string;
  stop(): Promise<SchedulerStats>;
}

export async function startThreadNode(
  config: Config,
  options: SchedulerOptions,
  task: TestTaskOptions = {},
): Promise<ThreadNode> {
  const entry = workerFile(import.meta.url, '../fixtures/scheduler/scheduler.worker');
  const worker = new Worker(entry.url, {
    execArgv: entry.execArgv,
    workerData: { config: { ...config }, options },
    env: { ...process.env, VS_TEST_TASK: JSON.stringify(task) },
  });
  const exited = new Promise<void>((res) => worker.once('exit', () => res()));
  const owner = await new Promise<string>((res, rej) => {
    worker.once('message', (m: { ready: string }) => res(m.ready));
    worker.once('error', rej);
  });
  return {
    owner,
    async stop() {
      const stats = new Promise<SchedulerStats>((res) =>
        worker.once('message', (m: { stopped: SchedulerStats }) => res(m.stopped)),
      );
      worker.postMessage('stop');
      const s = await stats;
      await Promise.race([exited, worker.terminate().then(() => {})]);
      return s;
    },
  };
}

export async function readExecutionLog(path: string): Promise<ExecutionLogLine[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ExecutionLogLine);
}

/** Pairs of executions (past the lease check) of one video whose time windows intersect. */
export function overlaps(lines: ExecutionLogLine[]): Array<[ExecutionLogLine, ExecutionLogLine]> {
  const byVideo = new Map<string, ExecutionLogLine[]>();
  for (const l of lines.filter((x) => x.executed))
    byVideo.set(l.videoId, [...(byVideo.get(l.videoId) ?? []), l]);
  const out: Array<[ExecutionLogLine, ExecutionLogLine]> = [];
  for (const list of byVideo.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.start <= b.end && b.start <= a.end) out.push([a, b]);
      }
    }
  }
  return out;
}
