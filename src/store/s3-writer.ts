/**
 * One upload into S3 through lib-storage's Upload, fed by a PassThrough.
 *
 * Invariants
 * - The Upload starts at construction and pulls from the PassThrough: a blob up to `partSize` is
 *   one PutObject at commit; a larger one is a multipart upload whose parts go out while the
 *   client is still sending (at most `queueSize` parts in flight, so memory stays bounded).
 * - `write` resolves once the PassThrough accepted the chunk or drained: that is the backpressure
 *   the HTTP upload path waits on (it pauses the uWS socket meanwhile).
 * - Abort = destroy the PassThrough with an error. Every Upload worker then fails, and the
 *   Upload itself sends AbortMultipartUpload before `done()` rejects; `abort()` waits for that,
 *   so when it resolves no part is left behind. (`Upload.abort()` would reject `done()` at once,
 *   before the multipart clean-up ran.) Nothing was ever visible: no object exists until commit.
 * - The first Upload failure is kept; later `write`/`commit` calls reject with it.
 */
import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobTooLargeError, StoreError, WriterClosedError } from './errors.js';
import type { LocalStage } from './fs-blob-stage.js';
import { s3Error } from './s3-common.js';
import type { BlobInfo, BlobWriter } from './types.js';

export interface S3WriterParams {
  client: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  maxBytes: number;
  partSize: number;
  queueSize: number;
  where: string;
  /** Reads the committed object's info (HeadObject). */
  stat(): Promise<BlobInfo | undefined>;
  /** The local copy asked for with `localCopy` (fs-blob-stage.ts). */
  stage: LocalStage | undefined;
}

class AbortedUpload extends Error {
  constructor() {
    super('upload aborted');
    this.name = 'AbortedUpload';
  }
}

export class S3Writer implements BlobWriter {
  readonly #p: S3WriterParams;
  readonly #body: PassThrough;
  readonly #done: Promise<unknown>;
  #bytes = 0;
  #closed = false;
  #error: StoreError | undefined;

  constructor(params: S3WriterParams) {
    this.#p = params;
    // Small buffer: the Upload accumulates a part itself; this only decouples the two sides.
    this.#body = new PassThrough({ highWaterMark: 256 * 1024 });
    const upload = new Upload({
      client: params.client,
      params: {
        Bucket: params.bucket,
        Key: params.key,
        Body: this.#body,
        ContentType: params.contentType,
      },
      partSize: params.partSize,
      queueSize: params.queueSize,
      leavePartsOnError: false,
    });
    this.#done = upload.done();
    // Record the failure and wake writers blocked on 'drain'.
    this.#done.catch((e: unknown) => {
      if (!(e instanceof AbortedUpload)) this.#error ??= s3Error(e, params.where);
      this.#body.destroy();
    });
  }

  get bytesWritten(): number {
    return this.#bytes;
  }

  get stagedPath(): string | undefined {
    return this.#p.stage?.path;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#closed) throw new WriterClosedError();
    if (this.#error) throw this.#error;
    if (this.#bytes + chunk.byteLength > this.#p.maxBytes) {
      await this.abort();
      throw new BlobTooLargeError(this.#p.maxBytes);
    }
    this.#bytes += chunk.byteLength;
    if (this.#p.stage) {
      try {
        await this.#p.stage.write(chunk);
      } catch (e) {
        await this.abort(); // the local copy is incomplete: this upload can no longer be probed
        throw e;
      }
    }
    // Copy: the caller may reuse its buffer (uWS does) once write resolves, while the Upload may
    // still hold this chunk until a whole part is assembled.
    if (this.#body.write(Buffer.from(chunk))) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#body.off('drain', done);
        this.#body.off('close', done);
        resolve();
      };
      this.#body.on('drain', done);
      this.#body.on('close', done);
    });
    if (this.#error) throw this.#error;
    if (this.#closed && this.#body.destroyed) throw new WriterClosedError();
  }

  async commit(): Promise<BlobInfo> {
    if (this.#closed) throw new WriterClosedError();
    if (this.#error) {
      await this.abort();
      throw this.#error;
    }
    this.#closed = true;
    await this.#p.stage?.discard();
    this.#body.end();
    try {
      await this.#done;
    } catch (e) {
      throw this.#error ?? s3Error(e, this.#p.where);
    }
    const info = await this.#p.stat();
    if (!info) {
      throw new StoreError(
        'ERR_STORE_UNAVAILABLE',
        `S3 (${this.#p.where}) lost ${this.#p.key} right after upload`,
      );
    }
    return info;
  }

  async abort(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#body.destroy(new AbortedUpload());
    await this.#done.catch(() => {});
    await this.#p.stage?.discard();
  }
}
