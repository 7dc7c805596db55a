/**
 * Pools the paired rounds of several ops runs: `npx tsx bench/http/ops-pool.ts FILE...` reads
 * every `round by round:` list in each file's record of earlier runs (from its `## Runs` or
 * `## History` heading on; the generated report above it repeats its run) and prints the pooled
 * median cost with its 95% interval (stats.ts). A single run's median of 15–81 rounds swings by
 * points on a noisy machine; the pooled rounds are what bench/results/http-ops-404.md cites.
 */
import { readFile } from 'node:fs/promises';
import { median, medianInterval } from '../stats.js';
import { KEPT } from './ops.js';

const costs: number[] = [];
for (const file of process.argv.slice(2)) {
  const text = await readFile(file, 'utf8');
  const at = text.search(KEPT);
  if (at < 0) throw new Error(`${file}: no "## Runs" or "## History" section`);
  for (const [, list] of text.slice(at).matchAll(/round by round: (.*)$/gm)) {
    for (const cost of list!.split(',')) costs.push(Number.parseFloat(cost) / 100);
  }
}
if (costs.length === 0) throw new Error('no round-by-round lists found');
const [lo, hi] = medianInterval(costs);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
console.log(
  `${costs.length} rounds: median ${pct(median(costs))}, 95% interval ${pct(lo)} – ${pct(hi)}`,
);
