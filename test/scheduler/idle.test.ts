/**
 * An idle scheduler (nothing queued) does nothing between ticks: an idle video-cleanup round is
 * exactly one claim that finds nothing. The seed's round loop spun in an empty `select`
 * `default:`; a loop that polls the store again instead of blocking shows here as more claims
 * than rounds. What a spin costs in CPU is measured by bench/scheduler/idle.ts, not here: a test
 * asserts behaviour, and a spin that calls nothing has no behaviour to count.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { openStores } from '../../src/store/index.js';
import { workerFile } from '../../src/worker-file.js';
import { countControl, counted } from '../fixtures/scheduler/counted-stores.js';
import { tempConfig, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const quiet = createLogger('test', 100);
const taskFile = workerFile(import.meta.url, '../fixtures/scheduler/test-deletion.task');
const countedModule = pathToFileURL(
  join(import.meta.dirname, '../fixtures/scheduler/counted-stores.ts'),
).href;

describe('scheduler idle', () => {
  it('an idle round is one claim that finds nothing, and nothing runs between rounds', async () => {
    const t = await tempConfig(); // 50 ms ticks
    cleanups.push(t.cleanup);
    const stores = await openStores(t.config);
    cleanups.push(() => stores.close());
    const control = countControl();
    process.env.VS_TEST_TASK = JSON.stringify({});
    const s = startScheduler(
      t.config,
      { records: stores.records, queue: stores.queue, log: quiet },
      { taskFile, stores: { module: countedModule, data: { control } } },
    );
    cleanups.push(() => s.close(5000));
    const cleanup = () => s.stats().runners['video-cleanup']!;
    // Each sample read in one synchronous step: no round starts between the two reads (rounds
    // start on this thread), and at most one is in flight, its claim made or not yet. A round
    // that polls again shows at once as more claims than rounds.
    await waitFor(
      '100 idle rounds',
      () => {
        const { rounds } = cleanup();
        const { claims } = counted(control);
        expect(claims).toBeLessThanOrEqual(rounds);
        expect(claims).toBeGreaterThanOrEqual(rounds - 1);
        return rounds >= 100;
      },
      90_000,
      20,
    );
    expect(cleanup()).toMatchObject({ claimed: 0, roundErrors: 0 }); // every claim got through
    expect(await s.close(60_000)).toBe(true);
  }, 120_000);
});
