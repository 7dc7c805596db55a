/**
 * Idle scheduler CPU (`npm run bench:scheduler:idle`): what a scheduler node with nothing to do
 * costs per tick, side by side in one run with the seed's defect, a ticker loop whose `select`
 * has an empty `default:` (it spins between ticks instead of blocking):
 *
 *   ours          a scheduler process (startProcessNode, 50 ms ticks, the session purge every
 *                 tick too), CPU of the whole process (every thread) per video-cleanup round
 *   seed's loop   in this process: the same ticker, `select([recv(tick)], { default: true })`
 *                 in a loop that yields with setImmediate on the default branch, CPU per tick
 *
 * Rounds and ticks are counted, not wall time: a loaded machine stretches the ticks but does not
 * make an idle round cost more CPU. The ratio ours / seed's loop is what to compare across runs.
 * What an idle round does (one claim, nothing between rounds) is test/scheduler/idle.test.ts.
 * Knob: BENCH_ROUNDS (default 100). Writes bench/results/scheduler-idle.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recv, select, ticker } from '../../src/channels/index.js';
import type { SchedulerStats } from '../../src/scheduler/index.js';
import { startProcessNode } from '../../test/scheduler/nodes.js';
import { machine } from '../channels/machine.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const INTERVAL_MS = 50;

function cpuUs(a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number {
  return b.user - a.user + (b.system - a.system);
}

/** CPU µs per video-cleanup round of an idle scheduler process. */
async function ours(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-idle-'));
  const node = await startProcessNode(
    { DATA_DIR: dir, SCHEDULER_INTERVAL_MS: String(INTERVAL_MS) },
    { sessionPurgeEveryTicks: 1 },
  );
  try {
    const rounds = async () =>
      (await node.ask<SchedulerStats>('stats')).runners['video-cleanup']!.rounds;
    // Past start-up (module loading, threads, first rounds).
    while ((await rounds()) < 5) await new Promise((r) => setTimeout(r, 100));
    const c0 = await node.ask<NodeJS.CpuUsage>('cpu');
    const r0 = await rounds();
    let r1 = r0;
    while (r1 < r0 + ROUNDS) {
      await new Promise((r) => setTimeout(r, 200));
      r1 = await rounds();
    }
    const c1 = await node.ask<NodeJS.CpuUsage>('cpu');
    return cpuUs(c0, c1) / (r1 - r0);
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** CPU µs per tick of the seed's loop: select with an empty default, spinning between ticks. */
async function seedLoop(): Promise<number> {
  const t = ticker(INTERVAL_MS);
  const c0 = process.cpuUsage();
  let ticks = 0;
  while (ticks < ROUNDS) {
    const r = await select([recv(t)], { default: true });
    if (r.index === -1) await new Promise((res) => setImmediate(res));
    else ticks++;
  }
  const us = cpuUs(c0, process.cpuUsage());
  t.stop();
  return us / ticks;
}

const oursUs = await ours();
const seedUs = await seedLoop();
const report = `# Scheduler idle CPU

CPU per tick with nothing to do (${ROUNDS} ticks of ${INTERVAL_MS} ms each; see bench/scheduler/idle.ts).

| | CPU µs per tick |
|---|---|
| ours (whole process, every thread) | ${oursUs.toFixed(0)} |
| seed's loop (select with an empty default) | ${seedUs.toFixed(0)} |
| ratio ours / seed's loop | ${(oursUs / seedUs).toFixed(3)} |

${machine()}
`;
await writeFile(new URL('../results/scheduler-idle.md', import.meta.url), report);
process.stdout.write(report);
