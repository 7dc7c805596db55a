/**
 * Where one upload's bytes go: counts them against the cap, labels the container from the first
 * bytes (the Content-Type; whether it is a video at all is ffprobe's call, `beforeCommit`), then
 * writes to a BlobWriter one chunk at a time.
 *
 * Invariants:
 * - writes are serialized on one promise chain; `push` returns false while more than HIGH_WATER
 *   bytes wait for the disk, and `onDrain` fires once the queue is back under LOW_WATER —
 *   the caller pauses its source in between (backpressure is a return value);
 * - the first failure wins (`failure`), is reported once through `onFail`, and the writer is
 *   aborted, so nothing is left under the id; later pushes are ignored;
 * - `commit` is called only by `finish` after every queued write succeeded; `abort` waits for
 *   the write in flight so the writer never sees a write after abort.
 */
import type { BlobInfo, BlobStore, BlobWriter } from '../../store/types.js';
import { HttpError } from '../common/errors.js';
import { httpErrorFromStore } from '../common/store-errors.js';
import { SNIFF_BYTES, sniffContainer } from './sniff.js';

const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

export class UploadSink {
  readonly #blobs: BlobStore;
  readonly #id: string;
  readonly #maxBytes: number;
  #quotaLeft = Number.POSITIVE_INFINITY;
  #total = 0;
  #head: Buffer[] = [];
  #headBytes = 0;
  #writer: Promise<BlobWriter> | undefined;
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;
  #drain: (() => void) | undefined;
  #failure: HttpError | undefined;
  #onFail: ((err: HttpError) => void) | undefined;
  #inspect: ((stagedPath: string | undefined) => Promise<void>) | undefined;
  #done = false;

  constructor(blobs: BlobStore, id: string, maxBytes: number) {
    this.#blobs = blobs;
    this.#id = id;
    this.#maxBytes = maxBytes;
  }

  get failure(): HttpError | undefined {
    return this.#failure;
  }
  get bytes(): number {
    return this.#total;
  }

  onFail(fn: (err: HttpError) => void): void {
    this.#onFail = fn;
  }

  /**
   * `fn` sees the complete staged bytes before the commit (the media probe); its rejection (an
   * HttpError, e.g. 415) aborts the upload instead of committing it.
   */
  beforeCommit(fn: (stagedPath: string | undefined) => Promise<void>): void {
    this.#inspect = fn;
  }

  /** Runs `fn` once the write queue drains (after a `push` returned false). */
  onDrain(fn: () => void): void {
    this.#drain = fn;
  }

  /** What the owner may still store (USER_QUOTA_BYTES − usage); beyond it: 413 quotaExceeded. */
  setQuotaLeft(bytes: number): void {
    this.#quotaLeft = bytes;
    this.#overCap();
  }

  /** Counts bytes that are not the file (other form fields) toward the cap. */
  count(bytes: number): void {
    if (this.#failure || this.#done) return;
    this.#total += bytes;
    this.#overCap();
  }

  /** Fails the upload once over the per-upload cap or the owner's quota. */
  #overCap(): boolean {
    if (this.#total > this.#maxBytes) this.#fail(new HttpError('tooLarge', 'File is too big'));
    else if (this.#total > this.#quotaLeft) this.#fail(new HttpError('quotaExceeded'));
    else return false;
    return true;
  }

  /** Accepts a chunk it may keep (copy it first if its memory is reused). */
  push(chunk: Buffer): boolean {
    if (this.#failure || this.#done) return true;
    this.#total += chunk.length;
    if (this.#overCap()) return true;
    if (this.#writer === undefined) {
      this.#head.push(chunk);
      this.#headBytes += chunk.length;
      if (this.#headBytes >= SNIFF_BYTES) this.#open();
    } else this.#enqueue(chunk);
    return this.#queued < HIGH_WATER;
  }

  /**
   * The body is complete: flush, then commit. Rejects with the failure (an HttpError).
   * `stillWanted` is asked before and after the commit: false → 409 and no blob is left (the
   * writer is aborted, or the committed blob deleted).
   */
  async finish(stillWanted: () => Promise<boolean> = async () => true): Promise<BlobInfo> {
    if (!this.#failure && this.#writer === undefined) this.#open();
    await this.#tail;
    if (this.#failure) throw this.#failure;
    this.#done = true;
    const writer = await this.#writer!;
    const gone = () => new HttpError('conflict', 'The video was deleted during the upload');
    let info: BlobInfo;
    try {
      if (this.#inspect) {
        try {
          await this.#inspect(writer.stagedPath);
        } catch (err) {
          this.#failure = httpErrorFromStore(err);
          await writer.abort().catch(() => {});
          throw this.#failure;
        }
      }
      if (!(await stillWanted())) {
        this.#failure = gone();
        await writer.abort().catch(() => {});
        throw this.#failure;
      }
      info = await writer.commit();
    } catch (err) {
      if (err === this.#failure) throw err;
      this.#failure = httpErrorFromStore(err);
      await writer.abort().catch(() => {});
      throw Object.assign(this.#failure, { cause: err });
    }
    // A store error here keeps the upload: if the video is gone after all, the orphan sweep removes it.
    if (!(await stillWanted().catch(() => true))) {
      // Deleted between the check and the commit: the deletion task may already have run.
      await this.#blobs.delete(this.#id).catch(() => {});
      this.#failure = gone();
      throw this.#failure;
    }
    return info;
  }

  /** The client went away or the request failed: remove every trace. Idempotent. */
  abort(): Promise<void> {
    if (!this.#failure) this.#failure = new HttpError('badRequest', 'Upload aborted');
    return this.#cleanup();
  }

  #open(): void {
    const head = Buffer.concat(this.#head, this.#headBytes);
    this.#head = [];
    const contentType = sniffContainer(head) ?? 'application/octet-stream';
    // localCopy: stores without local files keep one, so the probe runs before the commit.
    this.#writer = this.#blobs.createWriter(this.#id, { contentType, localCopy: true });
    this.#writer.catch(() => {});
    this.#tail = this.#tail.then(() => this.#writer!.then(() => undefined));
    this.#tail = this.#tail.catch((err: unknown) => this.#fail(httpErrorFromStore(err), err));
    if (head.length > 0) this.#enqueue(head);
  }

  #enqueue(chunk: Buffer): void {
    this.#queued += chunk.length;
    this.#tail = this.#tail
      .then(async () => {
        if (this.#failure) return;
        const writer = await this.#writer!;
        await writer.write(chunk);
      })
      .catch((err: unknown) => this.#fail(httpErrorFromStore(err), err))
      .finally(() => {
        this.#queued -= chunk.length;
        if (this.#queued <= LOW_WATER && this.#drain) {
          const fn = this.#drain;
          this.#drain = undefined;
          fn();
        }
      });
  }

  #fail(err: HttpError, cause?: unknown): void {
    if (this.#failure) return;
    if (cause !== undefined) Object.assign(err, { cause });
    this.#failure = err;
    this.#onFail?.(err);
    void this.#cleanup();
  }

  #cleanupPromise: Promise<void> | undefined;
  #cleanup(): Promise<void> {
    this.#cleanupPromise ??= (async () => {
      await this.#tail;
      if (this.#done || this.#writer === undefined) return;
      const writer = await this.#writer.catch(() => undefined);
      await writer?.abort().catch(() => {});
    })();
    return this.#cleanupPromise;
  }
}
