/**
 * Restart intensity exceeded → the supervisor escalates and the process exits non-zero, with a
 * log line naming the actor (issue 11). The process is the real command body (runCli) with a
 * store wrapper that kills the dispatcher thread on every claim.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { runSchedulerCli } from './cli-process.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/scheduler/crash-loop-cli.ts', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

it('a dispatcher that keeps dying: replaced `intensity` times, then the process exits 1 naming it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-escalate-'));
  dirs.push(dir);
  const { code, signal, out, lines } = await runSchedulerCli(FIXTURE, dir);
  expect({ code, signal }, out).toEqual({ code: 1, signal: null });
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
