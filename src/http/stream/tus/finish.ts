/**
 * A completed tus upload becomes the video's blob, through the same media path as a multipart
 * upload (UploadMedia): probe the local file first (415 with ffprobe's reason, nothing replaced),
 * copy it into the blob store with the Content-Type ffprobe found (chunk by chunk, each write
 * awaited: backpressure), re-check that the video still exists (409 otherwise, nothing left),
 * commit, then poster + record. The tus upload itself is removed once its bytes are the blob.
 */
import { createReadStream } from 'node:fs';
import type { DataStore, Upload } from '@tus/utils';
import type { MediaProber } from '../../../media/index.js';
import { HttpError } from '../../common/errors.js';
import { httpErrorFromStore } from '../../common/store-errors.js';
import { findActiveVideo } from '../../common/video.js';
import type { ServiceContext } from '../../context.js';
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
  await media.beforeCommit(src.path);
  let writer: Awaited<ReturnType<typeof ctx.blobs.createWriter>>;
  try {
    writer = await ctx.blobs.createWriter(vid, {
      contentType: media.info?.contentType ?? 'application/octet-stream',
    });
  } catch (err) {
    throw httpErrorFromStore(err);
  }
  try {
    for await (const chunk of src.stream) await writer.write(chunk);
    if (!(await findActiveVideo(ctx.records, vid))) {
      throw new HttpError('conflict', 'The video was deleted during the upload');
    }
    await writer.commit();
  } catch (err) {
    await writer.abort().catch(() => {});
    throw httpErrorFromStore(err);
  }
  await media.afterCommit();
  await store.remove(upload.id).catch((err: unknown) => {
    ctx.log.warn('tus upload not removed after completion', { id: upload.id, err });
  });
}
