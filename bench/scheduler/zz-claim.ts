import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openStores } from '../../src/store/index.js';

const dir = await mkdtemp(join(tmpdir(), 'scratch-'));
const stores = await openStores(loadConfig({ DATA_DIR: dir }));
const { queue } = stores;
const ids = Array.from({ length: 20000 }, () => crypto.randomUUID());
for (let i = 0; i < ids.length; i += 200)
  await Promise.all(ids.slice(i, i + 200).map((id) => queue.enqueueDeletion(id)));
let held: string[] = [];
for (let r = 0; r < 15; r++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const b = await queue.claimDeletions('o', 1000, 600000);
  const c = process.cpuUsage(c0);
  const t1 = performance.now();
  if (process.env.HOLD) {
    await queue.completeDeletions('o', held);
    held = b.map((d) => d.videoId);
  } else
    await queue.completeDeletions(
      'o',
      b.map((d) => d.videoId),
    );
  const t2 = performance.now();
  console.log(
    `claim ${b.length}: ${(t1 - t0).toFixed(1)} ms wall, ${((c.user + c.system) / 1000).toFixed(1)} ms cpu; complete ${(t2 - t1).toFixed(1)} ms`,
  );
}
await stores.close();
