/**
 * Probe (issue: a deletion task's timeout must never abort the process): does piscina ending an
 * IDLE pool thread (its idleTimeout) whose deletion task left its stores open abort the process?
 * Each iteration runs one real deletion task (lease read + fenced write on LMDB, stores left open
 * as a pool thread keeps them), then waits until piscina ended the idle thread. A crash ends the
 * process (FATAL ERROR … napi_throw, exit 134); surviving prints the counts.
 *   tsx bench/scheduler/idle-exit-probe.ts [iterations] [idleTimeoutMs]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Piscina } from 'piscina';
import { loadConfig } from '../../src/config.js';
import type { DeletionTask } from '../../src/scheduler/index.js';
import { workerFile } from '../../src/worker-file.js';

const iterations = Number(process.argv[2] ?? 50);
const idleTimeout = Number(process.argv[3] ?? 1);
const dir = await mkdtemp(join(tmpdir(), 'idle-exit-'));
const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'warn' });
const file = workerFile(import.meta.url, '../../src/scheduler/deletion.task');
const pool = new Piscina({
  filename: file.path,
  execArgv: file.execArgv,
  maxThreads: 1,
  minThreads: 0,
  idleTimeout,
});
let exits = 0;
pool.on('workerDestroy', () => exits++);
try {
  for (let i = 0; i < iterations; i++) {
    const now = Date.now();
    const task: DeletionTask = {
      config,
      videoIds: [randomUUID(), randomUUID()],
      owner: 'probe',
      leaseMs: 60_000,
      deadline: now + 30_000,
      minLeaseUntil: now + 45_000,
    };
    const env = await pool.run(task);
    if (env?.ok !== true) throw new Error(`task failed: ${JSON.stringify(env)}`);
    while (exits <= i) await delay(5); // the idle thread ended by piscina
  }
  console.log(
    JSON.stringify({
      iterations,
      idleTimeout,
      idleExits: exits,
      survived: true,
      loadavg: loadavg(),
    }),
  );
} finally {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
}
