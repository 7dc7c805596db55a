/**
 * The media step of an upload (multipart, raw or tus): ffprobe decides whether the bytes are a
 * video (415 with its reason otherwise), then ffmpeg makes the poster and the record gets the
 * metadata and `ready: true`.
 *
 * Order, so a bad file never replaces a good video and a listed video always has its metadata:
 *   1. `beforeCommit(stagedPath)`: probe the complete staged file (stores with local staging,
 *      i.e. the filesystem store); a refusal aborts the upload and the old blob stays;
 *   2. the caller commits the blob;
 *   3. `afterCommit()`: stores without local staging (GridFS, S3) are probed now from a temp copy
 *      (a refusal deletes the just-committed blob), then the poster (a failure only logs: the
 *      video plays without one) is written beside the video and the record updated.
 * The upload's 201 is sent after step 3, so a client that saw it sees the metadata.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PoolBusyError } from '../../actors/index.js';
import { type MediaInfo, type MediaProber, NotVideoError } from '../../media/index.js';
import { posterBlobId } from '../../store/index.js';
import { HttpError } from '../common/errors.js';
import type { ServiceContext } from '../context.js';

function asHttp(ctx: ServiceContext, vid: string, err: unknown): HttpError {
  if (err instanceof NotVideoError) return new HttpError('unsupportedMedia', err.message);
  if (err instanceof HttpError) return err;
  // Every probe thread busy and the queue full: the server is overloaded, not the video bad.
  if (err instanceof PoolBusyError)
    return new HttpError('unavailable', 'Busy analysing videos; try again');
  ctx.log.error('media probe failed', { vid, err });
  return new HttpError('internal', 'The video could not be analysed; try again');
}

export class UploadMedia {
  readonly #ctx: ServiceContext;
  readonly #vid: string;
  readonly #prober: MediaProber;
  #info: MediaInfo | undefined;

  constructor(ctx: ServiceContext, vid: string, prober: MediaProber) {
    this.#ctx = ctx;
    this.#vid = vid;
    this.#prober = prober;
  }

  /** What ffprobe found (after a successful `beforeCommit` with a path). */
  get info(): MediaInfo | undefined {
    return this.#info;
  }

  /** Rejects an HttpError (415 with ffprobe's reason) when the staged file is not a video. */
  async beforeCommit(stagedPath: string | undefined): Promise<void> {
    if (stagedPath === undefined) return;
    try {
      this.#info = await this.#prober.probe(stagedPath);
    } catch (err) {
      throw asHttp(this.#ctx, this.#vid, err);
    }
  }

  /** After the commit: probe if not done yet, poster, record. Rejects an HttpError. */
  async afterCommit(): Promise<void> {
    const { blobs, records, log } = this.#ctx;
    const vid = this.#vid;
    let path = blobs.localPath?.(vid);
    let tmp: string | undefined;
    try {
      if (path === undefined) {
        tmp = await mkdtemp(join(tmpdir(), 'vs-media-'));
        path = join(tmp, 'video');
        await pipeline(blobs.read(vid), createWriteStream(path));
      }
      if (this.#info === undefined) {
        try {
          this.#info = await this.#prober.probe(path);
        } catch (err) {
          if (err instanceof NotVideoError) await blobs.delete(vid);
          throw err;
        }
      }
      const info = this.#info;
      let posterId: string | null = null;
      try {
        const jpeg = await this.#prober.poster(path, info.durationMs);
        const w = await blobs.createWriter(posterBlobId(vid), { contentType: 'image/jpeg' });
        await w.write(jpeg).catch(async (e) => {
          await w.abort();
          throw e;
        });
        await w.commit();
        posterId = posterBlobId(vid);
      } catch (err) {
        log.warn('no poster for this video', { vid, err });
      }
      const { durationMs, width, height, codecs } = info;
      await records.updateVideo(vid, { ready: true, durationMs, width, height, codecs, posterId });
    } catch (err) {
      throw asHttp(this.#ctx, vid, err);
    } finally {
      if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => {});
    }
  }
}
