/**
 * A completed tus upload becomes the video's blob, through the same media path as a multipart
 * upload (UploadMedia), and like it never replaces the previous video with a bad file:
 * - a local tus file (FileStore) is probed first (415 with ffprobe's reason, nothing copied),
 *   then copied into the blob store with the Content-Type ffprobe found;
 * - an upload held in MongoDB or S3 is copied into a blob writer that keeps a local copy
 *   (`localCopy`; Content-Type from the first bytes, as for multipart uploads), and that copy is
 *   probed before the commit (415: the writer is aborted, the old blob stays);
 * chunk by chunk, each write awaited (backpressure); then re-check that the video still exists
 * (409 otherwise, nothing left), commit, poster + record. The tus upload itself is removed once
 * its bytes are the blob.
 */
import { createReadStream } from 'node:fs';
import type { DataStore, Upload } from '@tus/utils';
import type { MediaProber } from '../../../media/index.js';
import type { BlobWriter } from '../../../store/types.js';
import { HttpError } from '../../common/errors.js';
import { httpErrorFromStore } from '../../common/store-errors.js';
import { findActiveVideo } from '../../common/video.js';
import type { ServiceContext } from '../../context.js';
import { sniffContainer } from '../sniff.js';
import { UploadMedia } from '../upload-media.js';

/**
 * The bytes of a finished upload: its local file (FileStore) or the store's own stream
 * (S3Store's `read` is async: it resolves to the object's body once GetObject answered).
 */
async function source(
  store: DataStore,
  upload: Upload,
): Promise<{ path?: string; stream: AsyncIterable<Buffer> }> {
  const path = upload.storage?.type === 'file' ? upload.storage.path : undefined;
  if (path) return { path, stream: createReadStream(path, { highWaterMark: 1024 * 1024 }) };
  const read = (
    store as unknown as {
      read?(id: string): AsyncIterable<Buffer> | Promise<AsyncIterable<Buffer>>;
    }
  ).read;
  if (typeof read !== 'function')
    throw new HttpError('internal', 'This upload store cannot be read back');
  return { stream: await read.call(store, upload.id) };
}

export async function finishTusUpload(
  ctx: ServiceContext,
  store: DataStore,
  prober: MediaProber,
  vid: string,
  upload: Upload,
): Promise<void> {
  const media = new UploadMedia(ctx, vid, prober);
  const src = await source(store, upload);
  if (src.path !== undefined) await media.beforeCommit(src.path);
  const chunks = src.stream[Symbol.asyncIterator]();
  const first = await chunks.next();
  let writer: BlobWriter;
  try {
    const head = first.done ? Buffer.alloc(0) : first.value;
    writer = await ctx.blobs.createWriter(vid, {
      contentType: media.info?.contentType ?? sniffContainer(head) ?? 'application/octet-stream',
      localCopy: src.path === undefined,
    });
  } catch (err) {
    await chunks.return?.();
    throw httpErrorFromStore(err);
  }
  try {
    if (!first.done) await writer.write(first.value);
    for (let c = await chunks.next(); !c.done; c = await chunks.next()) await writer.write(c.value);
    if (src.path === undefined) await media.beforeCommit(writer.stagedPath);
    if (!(await findActiveVideo(ctx.records, vid))) {
      throw new HttpError('conflict', 'The video was deleted during the upload');
    }
    await writer.commit();
  } catch (err) {
    await chunks.return?.();
    await writer.abort().catch(() => {});
    throw httpErrorFromStore(err);
  }
  await media.afterCommit();
  await store.remove(upload.id).catch((err: unknown) => {
    ctx.log.warn('tus upload not removed after completion', { id: upload.id, err });
  });
}
