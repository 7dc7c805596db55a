/**
 * Filesystem blob store specifics beyond the conformance suite: localPath, a reader keeps the
 * version it opened across a replace, the sweep spares live writers, torn sidecars fall back
 * to sane defaults, deleteInPool.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../src/store/index.js';

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe('FsBlobStore', () => {
  const dirs: string[] = [];
  const open = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-blobs-'));
    dirs.push(dir);
    return { dir, blobs: await FsBlobStore.open({ dir }) };
  };
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('localPath is <dir>/<lowercase id>, only for UUIDs', async () => {
    const { dir, blobs } = await open();
    const id = randomUUID().toUpperCase();
    expect(blobs.localPath(id)).toBe(join(dir, id.toLowerCase()));
    expect(() => blobs.localPath('../x')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ID' }),
    );
  });

  it('a reader opened before a replace reads the whole old version', async () => {
    const { blobs } = await open();
    const id = randomUUID();
    const put = async (data: Buffer) => {
      const w = await blobs.createWriter(id, { contentType: 'video/mp4' });
      await w.write(data);
      return w.commit();
    };
    const v1 = randomBytes(2 * 1024 * 1024);
    await put(v1);
    const reader = blobs.read(id)[Symbol.asyncIterator]();
    const first = (await reader.next()).value as Buffer; // the descriptor is open now
    const v2 = randomBytes(1024);
    await put(v2);
    const rest: Buffer[] = [first];
    for (let r = await reader.next(); !r.done; r = await reader.next())
      rest.push(r.value as Buffer);
    expect(Buffer.concat(rest).equals(v1)).toBe(true);
    expect((await collect(blobs.read(id))).equals(v2)).toBe(true);
  });

  it('the open-time sweep removes dead writers’ temp files but spares live ones', async () => {
    const { dir } = await open();
    const id = randomUUID();
    const dead = `.${id}.999999999.abcdef.tmp`; // no such pid
    const live = `.${id}.${process.pid}.abcdef.tmp`; // ours, fresh
    const orphanMeta = `${randomUUID()}.meta`; // fresh: may belong to a commit in progress
    for (const n of [dead, live, orphanMeta]) await writeFile(join(dir, n), 'x');
    await FsBlobStore.open({ dir });
    expect((await readdir(dir)).sort()).toEqual([live, orphanMeta].sort());
    await FsBlobStore.open({ dir, tmpMaxAgeMs: -1 }); // everything counts as old now
    expect(await readdir(dir)).toEqual([]);
  });

  it('a torn or mismatched sidecar falls back to octet-stream and a stat-based ETag', async () => {
    const { dir, blobs } = await open();
    const id = randomUUID();
    const w = await blobs.createWriter(id, { contentType: 'video/webm' });
    await w.write(Buffer.from('hello'));
    const good = await w.commit();
    await writeFile(join(dir, `${id}.meta`), '{"contentType":"video/webm","si');
    const torn = await blobs.stat(id);
    expect(torn).toMatchObject({ size: 5, contentType: 'application/octet-stream' });
    expect(torn?.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(torn?.etag).not.toBe(good.etag);
    await writeFile(
      join(dir, `${id}.meta`),
      JSON.stringify({ contentType: 'text/html', size: 5, ino: 1, sha256: 'x' }),
    );
    expect((await blobs.stat(id))?.contentType).toBe('application/octet-stream'); // other inode
  });

  it('deleteInPool removes the blob and its sidecar, is idempotent, and checks the id', async () => {
    const { dir, blobs } = await open();
    const id = randomUUID();
    const other = randomUUID();
    for (const x of [id, other]) {
      const w = await blobs.createWriter(x, { contentType: 'video/mp4' });
      await w.write(Buffer.from('bytes'));
      await w.commit();
    }
    const orphanMeta = randomUUID();
    await writeFile(join(dir, `${orphanMeta}.meta`), '{}'); // a sidecar whose blob is gone
    await blobs.deleteInPool(id);
    await blobs.deleteInPool(id); // already gone: fine
    await blobs.deleteInPool(orphanMeta);
    await blobs.deleteInPool(randomUUID()); // never existed: fine
    expect(await blobs.stat(id)).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual([other, `${other}.meta`].sort());
    await expect(blobs.deleteInPool('../x')).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
  });
});
