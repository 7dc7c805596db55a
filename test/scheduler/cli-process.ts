/**
 * Runs a scheduler fixture process (test/fixtures/scheduler/*-cli.ts: the real command body,
 * `start --only scheduler`, with a fixture passed as a real parameter) on `dataDir` until it
 * exits: its exit code and signal, its output, and its JSON log lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** The scheduler's bearer token in the fixture processes (its /stats). */
export const SCHEDULER_TOKEN = 'test-token-for-a-scheduler-process';

export interface CliExit {
  code: number | null;
  /** An abort (e.g. a thread ended inside lmdb-js) is SIGABRT, with code null. */
  signal: NodeJS.Signals | null;
  out: string;
  lines: Array<Record<string, unknown>>;
}

export async function runSchedulerCli(
  fixture: string,
  dataDir: string,
  env: Record<string, string> = {},
  /** `kill` (SIGKILL unless it exited) for teardown; `child` to watch its output or signal it. */
  onSpawn?: (kill: () => void, child: ChildProcess) => void,
): Promise<CliExit> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      SCHEDULER_PORT: '0',
      METRICS_PORT: '0',
      SCHEDULER_INTERVAL_MS: '100',
      LOG_LEVEL: 'info',
      SCHEDULER_TOKEN,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn?.(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, signal, out, lines };
}
