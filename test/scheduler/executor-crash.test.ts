/**
 * The executor thread crashes — an exception nobody catches, thrown from a timer or a rejected
 * promise nobody awaits — while a task of its deletion pool is inside lmdb-js
 * (executor-crash-stores.ts: the tests' task's spinOnce, a slow records.deleteVideos call of
 * native calls, is in flight for sure). The process is the real command body
 * (executor-crash-cli.ts). Node's own handling of an uncaught exception ends the thread and its
 * nested pool threads at once, and ending a thread inside an lmdb-js call aborts the whole
 * process (src/store/lmdb-env.ts): without the crash drain (crash-drain.ts) the process died of
 * SIGABRT in 11 of 18 runs (in the others the spinning thread was ended between two native calls:
 * no crash line, no closed-under-spin); with the drain but piscina's own close() (which ended the
 * spinning task's thread once the other task ended: src/actors/pool.ts), 2 of 2. It must live:
 * the executor logs the crash, its pool's tasks finish (at their deadline: the spinning call is
 * closed under it), then the thread ends with the error and the supervisor replaces it (one
 * restart on /stats). The same process's later rounds delete the rest; after a graceful stop
 * nothing is half deleted.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { openStores } from '../../src/store/index.js';
import { INJECTED } from '../fixtures/scheduler/executor-crash-stores.js';
import { expectGoneOrQueuedWhole, laterRunDeletesTheRest, seedQueued } from './aftermath.js';
import { runSchedulerCli, SCHEDULER_TOKEN as TOKEN } from './cli-process.js';
import { tempConfig, waitFor } from './helpers.js';

const FIXTURE = fileURLToPath(
  new URL('../fixtures/scheduler/executor-crash-cli.ts', import.meta.url),
);
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ASKED = 300;
const KEPT = 5;
/** The tasks' deadline is half of it: the spinning call is closed under it then. */
const LEASE_MS = 10_000;

type Line = Record<string, unknown>;
const parse = (out: string): Line[] =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

it.each(['throw', 'reject'] as const)(
  'the executor thread crashes (%s) while its pool is inside lmdb-js: the process lives, nothing is half deleted',
  async (how) => {
    const t = await tempConfig();
    cleanups.push(t.cleanup);
    const dir = t.config.dataDir;
    const marks = join(dir, 'marks');
    await mkdir(marks);
    const before = await openStores(t.config);
    const ids = await seedQueued(before, ASKED, KEPT).finally(() => before.close());

    let child!: ChildProcess;
    let out = '';
    const exited = runSchedulerCli(
      FIXTURE,
      dir,
      {
        VS_TEST_TASK: JSON.stringify({ spinOnce: marks }),
        VS_EXECUTOR_CRASH: JSON.stringify({ dir: marks, how, batch: ASKED, leaseMs: LEASE_MS }),
      },
      (kill, c) => {
        cleanups.push(async () => kill());
        child = c;
        c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      },
    );
    // The executor is replaced, or the process died first (an abort: SIGABRT, code null).
    const replaced = () =>
      parse(out).find(
        (l) => l.msg === 'actor thread replaced' && l.actor === 'video-cleanup.executor',
      );
    await waitFor(
      'the executor replaced (or the process ended)',
      () => replaced() !== undefined || child.exitCode !== null || child.signalCode !== null,
      120_000,
      50,
    );
    expect({ code: child.exitCode, signal: child.signalCode }, out).toEqual({
      code: null,
      signal: null,
    });
    // The crash was the injected one, while the spin ran, and the supervisor saw it as a crash.
    const seen = JSON.parse(await readFile(join(marks, 'crashed', 'seen'), 'utf8')) as Line;
    expect(seen.how).toBe(how);
    expect(String(replaced()!.exit)).toContain(INJECTED);
    const lines = parse(out);
    const crash = lines.find(
      (l) => l.msg === 'executor thread crashed: draining its pool, then ending',
    );
    expect(JSON.stringify(crash), out).toContain(INJECTED);
    expect(
      lines.filter((l) => l.msg === 'restart intensity exceeded: supervisor gives up'),
    ).toEqual([]);
    // The spinning call ended because its stores were closed under it (its task's deadline), not
    // by its thread being ended.
    expect(existsSync(join(marks, 'closed-under-spin'))).toBe(true);

    // /stats: the supervisor counted the restart (the tree actor_restarts_total reads), and the
    // same process deletes the rest (the failures were recorded before the crashed thread ended:
    // their retries come after a 100 ms backoff).
    const base = parse(out)
      .map((l) => /^scheduler listening on (http:\S+)$/.exec(String(l.msg))?.[1])
      .find(Boolean);
    expect(base, out).toBeDefined();
    type Stats = {
      queue: { pending: number; dead: number };
      actors: Array<{ id: string; state: string; restarts: number }> | null;
    };
    const headers = { authorization: `Bearer ${TOKEN}` };
    let stats: Stats | undefined;
    await waitFor(
      'the restarted executor running and every deletion done',
      async () => {
        stats = (await (await fetch(`${base}/stats`, { headers })).json()) as Stats;
        const executor = stats.actors?.find((a) => a.id === 'video-cleanup.executor');
        return executor?.state === 'running' && stats.queue.pending === 0;
      },
      120_000,
      200,
    );
    expect(stats!.actors!.map((a) => [a.id, a.restarts])).toEqual([
      ['video-cleanup.dispatcher', 0],
      ['video-cleanup.executor', 1],
    ]);
    expect(stats!.queue).toEqual({ pending: 0, dead: 0 });

    // A graceful stop: the process was never aborted.
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    expect({ code, signal }, out).toEqual({ code: 0, signal: null });

    // Each video asked for is wholly gone, or still queued whole; a later scheduler deletes the rest.
    const stores = await openStores(t.config);
    cleanups.push(() => stores.close());
    await expectGoneOrQueuedWhole(stores, ids);
    const spun = (await readFile(join(marks, 'spun', 'ids'), 'utf8')).split('\n').filter(Boolean);
    expect(spun.length).toBeGreaterThan(0);
    await laterRunDeletesTheRest(t.config, stores, ids, cleanups);
  },
  240_000,
);
