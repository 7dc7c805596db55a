/**
 * Runs every workload for one JS system in a fresh process (so no library's JIT state affects
 * another's) and prints `{ workload: msgs/s }` as JSON, best of RUNS after a warm-up.
 * Usage: tsx bench/channels/system.ts <ours|ts-chan|ts-chan-unsafe> [scale] [runs]
 */
import { adapters } from './adapters.js';
import { workloads } from './workloads.js';

const [name = 'ours', scaleArg = '1', runsArg = '5'] = process.argv.slice(2);
const adapter = adapters[name];
if (adapter === undefined) throw new Error(`unknown system ${name}`);
const scale = Number(scaleArg);
const runs = Number(runsArg);

const out: Record<string, number> = {};
for (const [wl, { run, n }] of Object.entries(workloads)) {
  const size = Math.max(1000, Math.round(n * scale));
  await run(adapter, size); // warm up the JIT at full size
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const msgs = await run(adapter, size);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, msgs / secs);
  }
  out[wl] = best;
}
process.stdout.write(`${JSON.stringify(out)}\n`);
