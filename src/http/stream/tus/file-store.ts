/**
 * The tus store for BLOB_STORE=fs: @tus/file-store's FileStore (`DATA_DIR/tus/<id>` holds the
 * bytes, `<id>.json` the upload) with a lock between concurrent writes of one upload.
 *
 * Why: @tus/server's locker lives in one Server instance, i.e. one per HTTP thread (and one per
 * service: the stream service and the web origin each have theirs). Two PATCHes of one upload
 * on two threads both pass the offset check (the offset is the file's size) while neither has
 * written yet, then both write from that position: different bytes interleave, and the upload
 * reports the longer one's end. A retried PATCH landing on another thread while the first is
 * still running does exactly that.
 *
 * The lock is a lease file `<id>.lock` (lease.ts), created exclusively (O_EXCL: one winner
 * among every thread and process on DATA_DIR) for the duration of one write; the holder re-checks
 * the offset (the file's size) under it, so what it writes starts exactly at the end of what is
 * stored.
 */
import { open, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { ERRORS } from '@tus/utils';
import { takeLease } from './lease.js';

/** tus ids are generated hex names; anything else never names a file here. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export class LockingFileStore extends FileStore {
  readonly #dir: string;

  constructor(options: { directory: string; expirationPeriodInMilliseconds?: number }) {
    super(options);
    this.#dir = options.directory;
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const release = await this.#lock(id);
    try {
      const size = (await stat(join(this.#dir, id)).catch(() => undefined))?.size;
      if (size === undefined) throw ERRORS.FILE_NOT_FOUND;
      if (size !== offset) throw ERRORS.INVALID_OFFSET;
      return await super.write(readable, id, offset);
    } finally {
      await release();
    }
  }

  /** Takes the upload's lease file or throws INVALID_OFFSET; resolves to its release. */
  #lock(id: string): Promise<() => Promise<void>> {
    if (!SAFE_ID.test(id)) throw ERRORS.FILE_NOT_FOUND;
    const path = join(this.#dir, `${id}.lock`);
    return takeLease({
      async create() {
        try {
          await (await open(path, 'wx', 0o600)).close();
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw err;
        }
      },
      async age() {
        const st = await stat(path).catch(() => undefined);
        return st === undefined ? undefined : Date.now() - st.mtimeMs;
      },
      refresh() {
        const now = new Date();
        return utimes(path, now, now);
      },
      remove: () => unlink(path),
    });
  }
}
