/** The benchmark's data: a temp data dir holding one active video with a 32 MiB MP4-looking blob. */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, defaultConfig } from '../../src/config.js';
import { openStores } from '../../src/store/index.js';

export const FILE_BYTES = 32 * 1024 * 1024;

/** FILE_BYTES of random data that sniffs as MP4 (an `ftyp` box first). */
export function benchBytes(): Buffer {
  const bytes = randomBytes(FILE_BYTES);
  bytes.writeUInt32BE(24, 0);
  bytes.write('ftypisom', 4, 'latin1');
  return bytes;
}

/** An active video record `vid` with `bytes` as its blob, in the stores `config` opens. */
export async function seedVideo(config: Config, vid: string, bytes: Buffer): Promise<void> {
  const stores = await openStores(config);
  try {
    await stores.records.createVideo({
      id: vid,
      authorId: randomUUID(),
      name: 'bench',
      createdAt: Date.now(),
      state: 'active',
    });
    const w = await stores.blobs.createWriter(vid, { contentType: 'video/mp4' });
    for (let off = 0; off < bytes.length; off += 1024 * 1024) {
      await w.write(bytes.subarray(off, off + 1024 * 1024));
    }
    await w.commit();
  } finally {
    await stores.close();
  }
}

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
  const vid = randomUUID();
  await seedVideo(config, vid, benchBytes());
  return { tmp, config, vid };
}
