/**
 * The BlobStore conformance cases about every blob at once (registered by describeBlobStore in
 * blobs.case.ts on each store): `list()` page by page, and the lifecycle sweep that goes through
 * it — an orphan blob with its poster, and a poster whose video blob is gone.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { sweepOnce } from '../../src/scheduler/lifecycle-sweep.js';
import { schedulerBoard } from '../../src/scheduler/stats-board.js';
import { type BlobStore, posterBlobId } from '../../src/store/index.js';
import type { BlobInfo, DeletionQueue, RecordStore } from '../../src/store/types.js';
import type { BlobStoreFactory } from './blobs.case.js';

/** blobs.case.ts's writer of one blob. */
export type PutBlob = (blobs: BlobStore, id: string, data: Buffer) => Promise<BlobInfo>;

/**
 * Registers the cases in the caller's describe, whose hooks give each test a fresh store
 * (`store()`).
 */
export function blobListingCases(
  store: () => BlobStore,
  factory: BlobStoreFactory,
  put: PutBlob,
): void {
  describe('listing and the sweep', () => {
    it('lists every committed blob once, page by page, with its mtime; nothing uncommitted', async () => {
      const paged = await factory.open({ listPageSize: 2 });
      try {
        const ids = Array.from({ length: 5 }, () => randomUUID());
        for (const id of ids) await put(paged.blobs, id, randomBytes(100));
        await put(paged.blobs, ids[0] as string, randomBytes(50)); // replaced: still one entry
        const pending = await paged.blobs.createWriter(randomUUID(), { contentType: 'video/mp4' });
        await pending.write(randomBytes(10));
        expect(paged.blobs.list, 'list() is implemented').toBeTypeOf('function');
        const got: Array<{ id: string; mtime: number }> = [];
        for await (const e of paged.blobs.list!()) got.push(e);
        expect(got.map((e) => e.id).sort()).toEqual([...ids].sort());
        for (const e of got) {
          const st = await paged.blobs.stat(e.id);
          // Stores keep mtime at different precisions (S3 listings: whole seconds).
          expect(Math.abs(e.mtime - (st?.mtime ?? 0)), e.id).toBeLessThan(1000);
        }
        await pending.abort();
      } finally {
        await paged.blobs.close();
        await paged.cleanup();
      }
    });

    /** One sweep pass over `blobs` where only `kept` has a video record and no upload is stale. */
    const sweepKeeping = (kept: string) =>
      sweepOnce(
        {
          records: {
            getVideo: async (id: string) => (id === kept ? { id } : undefined),
            listStaleUploads: async () => [],
          } as unknown as RecordStore,
          queue: {} as DeletionQueue,
          blobs: store(),
          uploadTtlMs: 86_400_000,
          orphanGraceMs: 0,
          board: schedulerBoard(),
          row: 2,
          log: createLogger('test', 100),
        },
        Date.now() + 5000, // past every mtime, whatever the store's clock precision
      );

    it('the orphan sweep removes a blob without a record, with its poster, through list()', async () => {
      const kept = randomUUID();
      const orphan = randomUUID();
      for (const id of [kept, orphan, posterBlobId(kept), posterBlobId(orphan)]) {
        await put(store(), id, Buffer.from('bytes'));
      }
      const result = await sweepKeeping(kept);
      expect(result.orphans).toBe(1);
      expect(await store().stat(orphan)).toBeUndefined();
      expect(await store().stat(posterBlobId(orphan))).toBeUndefined();
      expect((await store().stat(kept))?.size).toBe(5);
      expect((await store().stat(posterBlobId(kept)))?.size).toBe(5);
    });

    it('the sweep removes a poster whose video blob is gone, and keeps one whose video is stored', async () => {
      const kept = randomUUID();
      const leftover = posterBlobId(randomUUID()); // written after its video was deleted
      for (const id of [kept, posterBlobId(kept), leftover])
        await put(store(), id, Buffer.from('p'));
      const result = await sweepKeeping(kept);
      expect(result.orphans).toBe(1);
      expect(await store().stat(leftover)).toBeUndefined();
      expect((await store().stat(posterBlobId(kept)))?.size).toBe(1);
      expect((await store().stat(kept))?.size).toBe(1);
    });
  });
}
