/** The conformance suites against the embedded stores: LMDB records and filesystem blobs. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore, LmdbRecordStore } from '../../src/store/index.js';
import { describeBlobStore } from './blobs.case.js';
import { describeRecordStore } from './records.case.js';

const tmp = () => mkdtemp(join(tmpdir(), 'store-test-'));

describeRecordStore('lmdb', {
  atomicClaims: true,
  async open() {
    const dir = await tmp();
    const store = LmdbRecordStore.open(dir);
    return {
      store,
      queue: store.queue,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

const liveDirs = new Set<string>();
describeBlobStore('fs', {
  async open(options = {}) {
    const dir = await tmp();
    liveDirs.add(dir);
    return {
      blobs: await FsBlobStore.open({ dir, ...options }),
      cleanup: async () => {
        liveDirs.delete(dir);
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  async leftovers() {
    const out: string[] = [];
    for (const dir of liveDirs) out.push(...(await readdir(dir)).filter((n) => n.startsWith('.')));
    return out;
  },
});
