/**
 * The media step of an upload (multipart, raw or tus): ffprobe decides whether the bytes are a
 * video (415 with its reason otherwise), then ffmpeg makes the poster and the record gets the
 * metadata and `ready: true`.
 *
 * Order, so a bad file never replaces a good video and a listed video always has its metadata:
 *   1. `beforeCommit(stagedPath)`: probe the complete, still invisible upload in its local file
 *      (the filesystem store's temp file; GridFS and S3 writers keep a local copy when the
 *      writer is created with `localCopy: true`) and render the poster from it; a refusal
 *      aborts the upload and the previous blob stays, on every store;
 *   2. the caller commits the blob (the local copy goes away);
 *   3. `afterCommit()`: the poster (rendered in 1; a failure only logs: the video plays without
 *      one) is written beside the video and the record updated.
 * The upload's 201 is sent after step 3, so a client that saw it sees the metadata.
 */
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
  #poster: Buffer | undefined;

  constructor(ctx: ServiceContext, vid: string, prober: MediaProber) {
    this.#ctx = ctx;
    this.#vid = vid;
    this.#prober = prober;
  }

  /** What ffprobe found (after a successful `beforeCommit`). */
  get info(): MediaInfo | undefined {
    return this.#info;
  }

  /**
   * Probes the staged file (415 with ffprobe's reason when it is not a video) and renders the
   * poster from it. Rejects an HttpError.
   */
  async beforeCommit(stagedPath: string | undefined): Promise<void> {
    const { log } = this.#ctx;
    if (stagedPath === undefined) {
      log.error('upload has no local copy to probe', { vid: this.#vid });
      throw new HttpError('internal', 'The video could not be analysed; try again');
    }
    try {
      this.#info = await this.#prober.probe(stagedPath);
    } catch (err) {
      throw asHttp(this.#ctx, this.#vid, err);
    }
    try {
      this.#poster = await this.#prober.poster(stagedPath, this.#info.durationMs);
    } catch (err) {
      log.warn('no poster for this video', { vid: this.#vid, err });
    }
  }

  /** After the commit: poster blob and record (metadata, ready). Rejects an HttpError. */
  async afterCommit(): Promise<void> {
    const { blobs, records, log } = this.#ctx;
    const vid = this.#vid;
    const info = this.#info;
    if (info === undefined) throw new HttpError('internal', 'The video was not analysed');
    try {
      let posterId: string | null = null;
      if (this.#poster) {
        try {
          const w = await blobs.createWriter(posterBlobId(vid), { contentType: 'image/jpeg' });
          await w.write(this.#poster).catch(async (e) => {
            await w.abort();
            throw e;
          });
          await w.commit();
          posterId = posterBlobId(vid);
        } catch (err) {
          log.warn('poster not stored', { vid, err });
        }
      }
      const { durationMs, width, height, codecs } = info;
      await records.updateVideo(vid, { ready: true, durationMs, width, height, codecs, posterId });
    } catch (err) {
      throw asHttp(this.#ctx, vid, err);
    }
  }
}
