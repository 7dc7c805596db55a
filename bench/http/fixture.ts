/** The benchmark's data: a temp data dir holding one active video with a 32 MiB MP4-looking blob. */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, defaultConfig } from '../../src/config.js';
import { openStores } from '../../src/store/index.js';

export const FILE_BYTES = 32 * 1024 * 1024;

export async function benchFixture(): Promise<{ tmp: string; config: Config; vid: string }> {
  const tmp = await mkdtemp(join(tmpdir(), 'vs-bench-http-'));
  // No access log, like the nginx target (access_log off) and the Go one: the benchmark compares
  // serving, not logging (ACCESS_LOG's cost is its own question).
  const config = {
    ...defaultConfig(),
    dataDir: join(tmp, 'data'),
    maxConns: 1024,
    accessLog: false,
  };
  const stores = await openStores(config);
  const vid = randomUUID();
  await stores.records.createVideo({
    id: vid,
    authorId: randomUUID(),
    name: 'bench',
    createdAt: Date.now(),
    state: 'active',
  });
  const bytes = randomBytes(FILE_BYTES);
  bytes.writeUInt32BE(24, 0);
  bytes.write('ftypisom', 4, 'latin1');
  const w = await stores.blobs.createWriter(vid, { contentType: 'video/mp4' });
  await w.write(bytes);
  await w.commit();
  await stores.close();
  return { tmp, config, vid };
}
