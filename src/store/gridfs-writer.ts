/**
 * One upload into GridFS (gridfs-blobs.ts has the store's invariants): a GridFS upload stream,
 * optionally teed into a local copy (`localCopy`, fs-blob-stage.ts) for the media probe. The
 * files document is inserted only at `commit` (the driver writes it after the last chunk), and
 * only then are the name's older files deleted; `abort` removes the chunks written so far.
 */
import type { GridFSBucketWriteStream, GridFSFile } from 'mongodb';
import { BlobTooLargeError, StoreError, WriterClosedError } from './errors.js';
import type { LocalStage } from './fs-blob-stage.js';
import type { GridFsBlobStore } from './gridfs-blobs.js';
import { mongoError } from './mongo-connect.js';
import type { BlobInfo, BlobWriter } from './types.js';

/** The port's BlobInfo of a GridFS file (the ETag is its ObjectId: see gridfs-blobs.ts). */
export function info(f: GridFSFile): BlobInfo {
  const ct = (f.metadata as { contentType?: unknown } | undefined)?.contentType;
  return {
    size: f.length,
    contentType: typeof ct === 'string' ? ct : 'application/octet-stream',
    etag: `"${f._id.toHexString()}"`,
    mtime: f.uploadDate.getTime(),
  };
}

export class GridFsWriter implements BlobWriter {
  #bytes = 0;
  #done = false;
  #error: Error | undefined;

  constructor(
    readonly store: GridFsBlobStore,
    readonly upload: GridFSBucketWriteStream,
    readonly name: string,
    readonly maxBytes: number,
    readonly stage: LocalStage | undefined,
  ) {
    upload.on('error', (e) => {
      this.#error ??= e;
    });
  }

  get bytesWritten(): number {
    return this.#bytes;
  }

  get stagedPath(): string | undefined {
    return this.stage?.path;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#done) throw new WriterClosedError();
    if (this.#error) throw mongoError(this.#error, 'GridFS');
    if (this.#bytes + chunk.byteLength > this.maxBytes) {
      await this.abort();
      throw new BlobTooLargeError(this.maxBytes);
    }
    this.#bytes += chunk.byteLength;
    if (!this.stage) return this.#send(chunk);
    const [local, remote] = await Promise.allSettled([this.stage.write(chunk), this.#send(chunk)]);
    if (local.status === 'rejected') {
      await this.abort(); // the local copy is incomplete: this upload can no longer be probed
      throw local.reason;
    }
    if (remote.status === 'rejected') throw remote.reason;
  }

  async #send(chunk: Uint8Array): Promise<void> {
    if (!this.upload.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
      await new Promise<void>((resolve, reject) => {
        const done = (e?: Error) => {
          this.upload.off('drain', done);
          this.upload.off('error', done);
          e ? reject(mongoError(e, 'GridFS')) : resolve();
        };
        this.upload.on('drain', done);
        this.upload.on('error', done);
      });
    }
  }

  async commit(): Promise<BlobInfo> {
    if (this.#done) throw new WriterClosedError();
    this.#done = true;
    await this.stage?.discard();
    await new Promise<void>((resolve, reject) => {
      this.upload.once('error', (e) => reject(mongoError(e, 'GridFS')));
      this.upload.end(() => resolve());
    });
    const f = this.upload.gridFSFile;
    if (!f) throw new StoreError('ERR_STORE_UNAVAILABLE', 'GridFS upload finished without a file');
    await this.store.deleteOthers(this.name, f._id);
    return info(f);
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.stage?.discard();
    // Removes the chunks written so far; no files document was ever inserted.
    await this.upload.abort().catch(() => {});
  }
}
