/**
 * BlobStore on GridFS (bucket `videos`) in the records' MongoDB, so several stream nodes serve
 * the same videos. The GridFS filename is the video id.
 *
 * Invariants
 * - An upload is a new GridFS file (new ObjectId). Its files document is inserted only after
 *   every chunk is written (driver behaviour), so a reader never sees a partial upload.
 * - Replace: the new file is written first, then older files with the same filename are deleted;
 *   readers always pick the newest (uploadDate desc, _id desc), so they switch atomically from
 *   the old to the new content.
 * - The ETag is the file's ObjectId: each upload gets a new one and a GridFS file never changes,
 *   so it is a strong validator.
 * - `openDownloadStream(id, {start, end})` takes an EXCLUSIVE end; the port's range is inclusive.
 * - Deleting a missing file is done (FileNotFound is swallowed).
 */
import type { Readable } from 'node:stream';
import { type Db, GridFSBucket, type GridFSFile, type ObjectId } from 'mongodb';
import {
  BLOB_STORE_DEFAULTS,
  type BlobStoreOptions,
  byteStream,
  checkContentType,
  checkListPageSize,
  checkMaxBytes,
  resolveRange,
} from './blob-common.js';
import { BlobNotFoundError, StoreClosedError, StoreError } from './errors.js';
import { LocalStage } from './fs-blob-stage.js';
import { GridFsWriter, info } from './gridfs-writer.js';
import { mongoError } from './mongo-connect.js';
import type { BlobInfo, BlobStore, BlobWriter } from './types.js';
import { checkId } from './validate.js';

export interface GridFsBlobStoreOptions extends BlobStoreOptions {
  /** @default 'videos' */
  bucketName?: string;
  /** `host:port` for error messages. */
  where?: string;
}

function isFileNotFound(e: unknown): boolean {
  return e instanceof Error && /FileNotFound|File not found/i.test(e.message);
}

export class GridFsBlobStore implements BlobStore {
  readonly #bucket: GridFSBucket;
  readonly #maxBytes: number;
  readonly #listPageSize: number;
  readonly #where: string;
  #closed = false;
  /** The database holding the bucket (the tus store keeps uploads in progress beside it). */
  readonly db: Db;

  constructor(db: Db, options: GridFsBlobStoreOptions = {}) {
    this.db = db;
    this.#bucket = new GridFSBucket(db, { bucketName: options.bucketName ?? 'videos' });
    this.#maxBytes = checkMaxBytes(options.maxBytes ?? BLOB_STORE_DEFAULTS.maxBytes);
    this.#listPageSize = checkListPageSize(
      options.listPageSize ?? BLOB_STORE_DEFAULTS.listPageSize,
    );
    this.#where = options.where ?? 'MongoDB';
  }

  /**
   * Every blob id once, with its newest file's upload date, in filename order: one page of files
   * documents per query (`filename > last`, sorted like GridFS's own `filename_1_uploadDate_1`
   * index, so a page costs its size, not the collection's). A name with several files (a replace
   * in progress) is reported once, with its newest; a full page's trailing name is left to the
   * next page, where its whole group is (unless a page holds that one name only).
   */
  async *list(): AsyncIterable<{ id: string; mtime: number }> {
    const limit = this.#listPageSize;
    let after: string | undefined;
    for (;;) {
      if (this.#closed) throw new StoreClosedError();
      let page: GridFSFile[];
      try {
        page = await this.#bucket
          .find(after === undefined ? {} : { filename: { $gt: after } }, {
            sort: { filename: 1, uploadDate: 1 },
            limit,
            projection: { filename: 1, uploadDate: 1 },
          })
          .toArray();
      } catch (cause) {
        throw mongoError(cause, this.#where);
      }
      const full = page.length === limit;
      let end = page.length;
      const lastName = page[end - 1]?.filename;
      if (full && page[0]?.filename !== lastName) {
        while (page[end - 1]?.filename === lastName) end--;
      }
      for (let i = 0; i < end; i++) {
        const f = page[i] as GridFSFile;
        if (i + 1 < end && page[i + 1]?.filename === f.filename) continue; // newest is last
        after = f.filename;
        yield { id: f.filename, mtime: f.uploadDate.getTime() };
      }
      if (!full) return;
    }
  }

  #name(id: string): string {
    if (this.#closed) throw new StoreClosedError();
    return checkId('blob id', id).toLowerCase();
  }

  async #files(name: string): Promise<GridFSFile[]> {
    try {
      return await this.#bucket
        .find({ filename: name })
        .sort({ uploadDate: -1, _id: -1 })
        .toArray();
    } catch (cause) {
      throw mongoError(cause, this.#where);
    }
  }

  async createWriter(
    id: string,
    meta: { contentType: string; localCopy?: boolean },
  ): Promise<BlobWriter> {
    const name = this.#name(id);
    const contentType = checkContentType(meta?.contentType);
    const stage = meta.localCopy ? await LocalStage.open() : undefined;
    const upload = this.#bucket.openUploadStream(name, { metadata: { contentType } });
    return new GridFsWriter(this, upload, name, this.#maxBytes, stage);
  }

  /** Deletes every file of `name` except `keep`. */
  async deleteOthers(name: string, keep?: ObjectId): Promise<void> {
    for (const f of await this.#files(name)) {
      if (keep?.equals(f._id)) continue;
      try {
        await this.#bucket.delete(f._id);
      } catch (e) {
        if (!isFileNotFound(e)) throw mongoError(e, this.#where);
      }
    }
  }

  async stat(id: string): Promise<BlobInfo | undefined> {
    const [f] = await this.#files(this.#name(id));
    return f && info(f);
  }

  read(id: string, range?: { start: number; end: number }): Readable {
    const self = this;
    return byteStream(() => {
      const name = this.#name(id);
      return (async function* () {
        const [f] = await self.#files(name);
        if (!f) throw new BlobNotFoundError(id);
        const r = resolveRange(range, f.length);
        if (!r) return;
        const s = self.#bucket.openDownloadStream(f._id, { start: r.start, end: r.end + 1 });
        try {
          for await (const chunk of s) yield chunk as Buffer;
        } catch (e) {
          throw e instanceof StoreError ? e : mongoError(e, self.#where);
        } finally {
          s.destroy();
        }
      })();
    });
  }

  async delete(id: string): Promise<void> {
    await this.deleteOthers(this.#name(id));
  }

  async close(): Promise<void> {
    this.#closed = true; // the client belongs to openStores
  }
}
