/**
 * The BlobStore conformance suite, run against the filesystem store, GridFS (dev server and, when
 * given, MONGODB_URI) and S3 (SeaweedFS). Each test gets a fresh, empty store. Here: writing,
 * reading and deleting one blob; listing and the lifecycle sweep over it in blobs-listing.case.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/store/index.js';
import { blobListingCases } from './blobs-listing.case.js';

export interface BlobStoreFactory {
  open(options?: {
    maxBytes?: number;
    listPageSize?: number;
  }): Promise<{ blobs: BlobStore; cleanup(): Promise<void> }>;
  /** Names of leftover temp objects (fs: temp files; GridFS: orphan chunks), for abort tests. */
  leftovers(): Promise<string[]>;
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

/** Stores `data` as blob `id`, written in uneven chunks; resolves to the committed blob. */
async function put(blobs: BlobStore, id: string, data: Buffer, contentType = 'video/mp4') {
  const w = await blobs.createWriter(id, { contentType });
  // Uneven chunks, to cross GridFS chunk boundaries at odd offsets.
  for (let off = 0; off < data.length; off += 100_003)
    await w.write(data.subarray(off, off + 100_003));
  return w.commit();
}

export function describeBlobStore(name: string, factory: BlobStoreFactory): void {
  describe(`BlobStore conformance: ${name}`, () => {
    let blobs: BlobStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ blobs, cleanup } = await factory.open());
    });
    afterEach(async () => {
      await blobs.close();
      await cleanup();
    });

    it('writes, stats and reads back whole and by inclusive ranges', async () => {
      const id = randomUUID();
      const data = randomBytes(600 * 1024 + 7);
      const info = await put(blobs, id, data, 'video/webm');
      expect(info).toMatchObject({ size: data.length, contentType: 'video/webm' });
      expect(info.etag).toMatch(/^"[^"]+"$/);
      expect(await blobs.stat(id)).toEqual(info);
      expect((await collect(blobs.read(id))).equals(data)).toBe(true);
      const last = data.length - 1;
      for (const [s, e] of [
        [0, 0],
        [last, last],
        [0, last],
        [261_119, 261_121],
        [1000, 524_287],
      ] as const) {
        const got = await collect(blobs.read(id, { start: s, end: e }));
        expect(got.equals(data.subarray(s, e + 1)), `${s}-${e}`).toBe(true);
      }
    });

    it('shows nothing before commit, and nothing after abort', async () => {
      const id = randomUUID();
      const w = await blobs.createWriter(id, { contentType: 'video/mp4' });
      await w.write(randomBytes(1000));
      expect(w.bytesWritten).toBe(1000);
      expect(await blobs.stat(id)).toBeUndefined();
      await w.abort();
      await w.abort(); // idempotent
      expect(await blobs.stat(id)).toBeUndefined();
      expect(await factory.leftovers()).toEqual([]);
      await expect(w.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_WRITER_CLOSED' });
      await expect(w.commit()).rejects.toMatchObject({ code: 'ERR_WRITER_CLOSED' });
    });

    it('replaces a blob: new bytes, type and ETag; old content gone', async () => {
      const id = randomUUID();
      const a = await put(blobs, id, Buffer.from('first version'), 'video/mp4');
      const dataB = Buffer.from('второй вариант, longer than the first');
      const b = await put(blobs, id, dataB, 'video/webm');
      expect(b.etag).not.toBe(a.etag);
      expect(await blobs.stat(id)).toEqual(b);
      expect((await collect(blobs.read(id))).equals(dataB)).toBe(true);
    });

    it('different content gets a different ETag', async () => {
      const [x, y] = [randomUUID(), randomUUID()];
      const ex = await put(blobs, x, Buffer.from('abc'));
      const ey = await put(blobs, y, Buffer.from('abd'));
      expect(ex.etag).not.toBe(ey.etag);
    });

    it('stores an empty blob', async () => {
      const id = randomUUID();
      const info = await put(blobs, id, Buffer.alloc(0));
      expect(info.size).toBe(0);
      expect((await collect(blobs.read(id))).length).toBe(0);
      await expect(collect(blobs.read(id, { start: 0, end: 0 }))).rejects.toMatchObject({
        code: 'ERR_INVALID_RANGE',
      });
    });

    it('deletes idempotently; a missing blob stats undefined and reads ERR_BLOB_NOT_FOUND', async () => {
      const id = randomUUID();
      await put(blobs, id, Buffer.from('bye'));
      await blobs.delete(id);
      await blobs.delete(id);
      await blobs.delete(randomUUID());
      expect(await blobs.stat(id)).toBeUndefined();
      await expect(collect(blobs.read(id))).rejects.toMatchObject({ code: 'ERR_BLOB_NOT_FOUND' });
    });

    it('rejects a range outside the blob with ERR_INVALID_RANGE', async () => {
      const id = randomUUID();
      await put(blobs, id, Buffer.from('0123456789'));
      for (const r of [
        { start: 5, end: 10 },
        { start: 6, end: 5 },
        { start: -1, end: 3 },
        { start: 0.5, end: 3 },
      ]) {
        await expect(collect(blobs.read(id, r)), JSON.stringify(r)).rejects.toMatchObject({
          code: 'ERR_INVALID_RANGE',
        });
      }
    });

    it('rejects ids that are not UUIDs and bad content types', async () => {
      for (const bad of ['../../etc/passwd', '', 'x'.repeat(36)]) {
        await expect(blobs.createWriter(bad, { contentType: 'video/mp4' })).rejects.toMatchObject({
          code: 'ERR_INVALID_ID',
        });
        await expect(blobs.stat(bad)).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
        await expect(blobs.delete(bad)).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
        await expect(collect(blobs.read(bad))).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
      }
      await expect(
        blobs.createWriter(randomUUID(), { contentType: 'video/mp4\r\nSet-Cookie: x' }),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    });

    it('aborts an upload over maxBytes with ERR_BLOB_TOO_LARGE, keeping nothing', async () => {
      const small = await factory.open({ maxBytes: 10 });
      try {
        const id = randomUUID();
        const w = await small.blobs.createWriter(id, { contentType: 'video/mp4' });
        await w.write(Buffer.alloc(6));
        await expect(w.write(Buffer.alloc(5))).rejects.toMatchObject({
          code: 'ERR_BLOB_TOO_LARGE',
        });
        expect(await small.blobs.stat(id)).toBeUndefined();
        expect(await factory.leftovers()).toEqual([]);
        const ok = await small.blobs.createWriter(id, { contentType: 'video/mp4' });
        await ok.write(Buffer.alloc(10));
        expect((await ok.commit()).size).toBe(10);
      } finally {
        await small.blobs.close();
        await small.cleanup();
      }
    });

    it('localCopy: every written byte is in stagedPath until commit or abort, then gone', async () => {
      for (const end of ['commit', 'abort'] as const) {
        const id = randomUUID();
        const w = await blobs.createWriter(id, { contentType: 'video/mp4', localCopy: true });
        const data = randomBytes(300_000);
        await w.write(data.subarray(0, 100_000));
        await w.write(data.subarray(100_000));
        const path = w.stagedPath;
        expect(path, 'stagedPath').toBeTypeOf('string');
        expect((await readFile(path as string)).equals(data)).toBe(true);
        expect(await blobs.stat(id)).toBeUndefined();
        if (end === 'commit') await w.commit();
        else await w.abort();
        await expect(stat(path as string), end).rejects.toMatchObject({ code: 'ENOENT' });
        expect((await blobs.stat(id))?.size, end).toBe(end === 'commit' ? data.length : undefined);
      }
      expect(await factory.leftovers()).toEqual([]);
    });

    it('a reader that stops early releases the blob (delete still works)', async () => {
      const id = randomUUID();
      await put(blobs, id, randomBytes(1024 * 1024));
      for await (const _ of blobs.read(id)) break;
      await blobs.delete(id);
      expect(await blobs.stat(id)).toBeUndefined();
    });

    blobListingCases(() => blobs, factory, put);
  });
}
