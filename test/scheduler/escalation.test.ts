/**
 * Restart intensity exceeded → the supervisor escalates and the process exits non-zero, with a
 * log line naming the actor (issue 11). The process is the real command body (runCli) with a
 * store wrapper that kills the dispatcher thread on every claim.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('../fixtures/scheduler/crash-loop-cli.ts', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

it('a dispatcher that keeps dying: replaced `intensity` times, then the process exits 1 naming it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-escalate-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: {
      ...process.env,
      DATA_DIR: dir,
      SCHEDULER_PORT: '0',
      METRICS_PORT: '0',
      SCHEDULER_INTERVAL_MS: '100',
      LOG_LEVEL: 'info',
      SCHEDULER_TOKEN: 'test-token-for-the-escalation-test',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code, out).toBe(1);
  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const replaced = lines.filter((l) => l.msg === 'actor thread replaced');
  expect(replaced.map((l) => l.actor)).toEqual([
    'video-cleanup.dispatcher',
    'video-cleanup.dispatcher',
  ]);
  const gaveUp = lines.find((l) => l.msg === 'restart intensity exceeded: supervisor gives up');
  expect(gaveUp).toMatchObject({ actor: 'video-cleanup.dispatcher', intensity: 2 });
  const exit = lines.find((l) => l.msg === 'a service kept crashing, exiting');
  expect(JSON.stringify(exit)).toContain('video-cleanup.dispatcher');
}, 120_000);
