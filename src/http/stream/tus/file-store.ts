/**
 * The tus store for BLOB_STORE=fs: @tus/file-store's FileStore (`DATA_DIR/tus/<id>` holds the
 * bytes, `<id>.json` the upload) with a lock between concurrent writes of one upload, and expiry
 * counted from the upload's last write.
 *
 * Why the lock: @tus/server's locker lives in one Server instance, i.e. one per HTTP thread (and
 * one per service: the stream service and the web origin each have theirs). Two PATCHes of one
 * upload on two threads both pass the offset check (the offset is the file's size) while neither
 * has written yet, then both write from that position: different bytes interleave, and the upload
 * reports the longer one's end. A retried PATCH landing on another thread while the first is
 * still running does exactly that.
 *
 * The lock is the lease of lease.ts as a file `<id>.lock` (fs-lease.ts) held for the duration of
 * one write; the holder re-checks the offset (the file's size) under it, so what it writes starts
 * exactly at the end of what is stored, and stops writing once it cannot prove the lease its own
 * (409/503, lease.ts): the file then ends with what was written under it, and HEAD reports that.
 *
 * Expiry (the tus expiration extension): @tus/server ages an upload by the `creation_date`
 * `getUpload` reports; here that is the later of the creation and the data file's last
 * modification (every PATCH that stores a byte moves it), so `Upload-Expires` moves forward while
 * the upload progresses and only an abandoned upload expires; `deleteExpired` ages the same way.
 */
import type { Stats } from 'node:fs';
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { ERRORS, type Upload } from '@tus/utils';
import { StoreUnavailableError } from '../../../store/errors.js';
import { fileLease, markerDir } from './fs-lease.js';
import { drop, dropIfGone, leftoversById } from './fs-leftovers.js';
import { code } from './fs-marker.js';
import {
  checkLeaseTiming,
  DEFAULT_LEASE,
  type LeaseTiming,
  leased,
  leaseError,
  takeLease,
} from './lease.js';

/** tus ids are generated hex names; anything else never names a file here. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface LockingFileStoreOptions {
  directory: string;
  /** An upload not written to for this long expires; 0 = never. @default 0 */
  expirationPeriodInMilliseconds?: number;
  /** The write lease's heartbeat and stale window. @default DEFAULT_LEASE */
  lease?: LeaseTiming;
}

export class LockingFileStore extends FileStore {
  readonly #dir: string;
  readonly #lease: LeaseTiming;

  constructor(options: LockingFileStoreOptions) {
    super(options);
    this.#dir = options.directory;
    this.#lease = checkLeaseTiming(options.lease ?? DEFAULT_LEASE);
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    if (!SAFE_ID.test(id)) throw ERRORS.FILE_NOT_FOUND;
    const lease = await takeLease(fileLease(this.#dir, id), this.#lease).catch((err) => {
      // Its directory of markers went between their create's mkdir and its write: removed.
      throw code(err) === 'ENOENT' ? ERRORS.FILE_NOT_FOUND : err;
    });
    try {
      if ((await this.#stat(id, id)).size !== offset) throw ERRORS.INVALID_OFFSET;
      return await super.write(leased(lease, readable), id, offset);
    } catch (err) {
      throw leaseError(lease, err);
    } finally {
      await lease.release();
    }
  }

  /**
   * The upload, its `creation_date` moved to its last write (see the header). Not found only when
   * `<id>.json` is absent: @tus/utils' FileKvStore reads every failure as "no such upload" and
   * FileStore passes a failed stat of the data on raw, and told 404 tus-js-client starts the
   * upload over; a directory that cannot be read (EMFILE, EIO, ELOOP …) is 503, and it resumes.
   */
  override async getUpload(id: string): Promise<Upload> {
    if (!SAFE_ID.test(id)) throw ERRORS.FILE_NOT_FOUND;
    await this.#stat(id, `${id}.json`);
    let upload: Upload;
    try {
      upload = await super.getUpload(id);
    } catch (err) {
      if (err === ERRORS.FILE_NOT_FOUND) {
        // Present at the first stat: gone since (removed meanwhile) or there but unreadable.
        await this.#stat(id, `${id}.json`);
        throw this.#unavailable(id);
      }
      if (err === ERRORS.FILE_NO_LONGER_EXISTS || !code(err)) throw err;
      throw this.#unavailable(id, err);
    }
    upload.creation_date = await this.#lastActive(id, upload.creation_date);
    return upload;
  }

  /**
   * Removes every upload not written to for the expiry period; resolves to how many. The
   * directory is read once per sweep, and that one listing also names what uploads left beside
   * them in the layout before `<id>.locks` (fs-leftovers.ts): a sweep over n uploads reads n
   * names, not n² (a flood of created-but-abandoned uploads is what a hostile client leaves).
   * Leftovers of uploads already gone are removed too, expiry or not (0 = never).
   */
  override async deleteExpired(): Promise<number> {
    const names = await readdir(this.#dir);
    const leftovers = leftoversById(names);
    const infos = new Set(names.filter((n) => n.endsWith('.json')));
    for (const [id, left] of leftovers) {
      if (!infos.has(`${id}.json`)) await dropIfGone(this.#dir, id, left);
    }
    const expiry = this.getExpiration();
    if (expiry === 0) return 0;
    const cutoff = Date.now() - expiry;
    let removed = 0;
    // Every `<id>.json`, not the kv store's list (which names only ids whose data file is there
    // too): an upload whose data file is gone would never expire.
    const ids = [...infos].map((n) => n.slice(0, -'.json'.length));
    for (const id of ids.filter((i) => SAFE_ID.test(i))) {
      const info = await this.configstore.get(id);
      if (!info?.creation_date) continue;
      if (Date.parse(await this.#lastActive(id, info.creation_date)) >= cutoff) continue;
      try {
        await this.remove(id);
        removed++;
      } catch (err) {
        if (err !== ERRORS.FILE_NOT_FOUND) throw err; // another sweep removed it first
        continue;
      }
      await drop(this.#dir, leftovers.get(id) ?? []);
    }
    return removed;
  }

  /**
   * Removes the upload, its lease `<id>.lock` and its directory of markers `<id>.locks`
   * (fs-lease.ts: whatever a create that failed or a taker that died left is in there), so
   * nothing of it outlives it, at a cost that does not grow with the number of uploads: no
   * listing. The id is checked safe: no path is built from anything else.
   */
  override async remove(id: string): Promise<void> {
    if (!SAFE_ID.test(id)) throw ERRORS.FILE_NOT_FOUND;
    // The data and then `<id>.json`, each whether or not the other is there: an upload whose
    // data file is gone (lost, or a remove that stopped half-way) still has its metadata and
    // markers removed (FileStore's own remove gave up at the data and left them for good). A
    // failure other than "absent" is the store's (503), not a missing upload.
    const data = await this.#unlinkPresent(id, id);
    const meta = await this.#unlinkPresent(id, `${id}.json`);
    if (!data && !meta) throw ERRORS.FILE_NOT_FOUND;
    await unlink(join(this.#dir, `${id}.lock`)).catch(() => {});
    await rm(markerDir(this.#dir, id), { recursive: true, force: true }).catch(() => {});
  }

  /** Unlinks `name` in the directory: false when it was absent, 503 when unlink failed otherwise. */
  async #unlinkPresent(id: string, name: string): Promise<boolean> {
    try {
      await unlink(join(this.#dir, name));
      return true;
    } catch (err) {
      if (code(err) === 'ENOENT') return false;
      throw this.#unavailable(id, err);
    }
  }

  /** `name`'s stat in the directory: not found when it is absent, 503 when stat cannot tell. */
  async #stat(id: string, name: string): Promise<Stats> {
    try {
      return await stat(join(this.#dir, name));
    } catch (err) {
      if (code(err) === 'ENOENT') throw ERRORS.FILE_NOT_FOUND;
      throw this.#unavailable(id, err);
    }
  }

  #unavailable(id: string, cause?: unknown): StoreUnavailableError {
    return new StoreUnavailableError(`tus upload ${id} cannot be read`, { cause });
  }

  /** The later of `created` and the data file's modification, as ISO-8601. */
  async #lastActive(id: string, created: string | undefined): Promise<string> {
    const st = await stat(join(this.#dir, id)).catch(() => undefined);
    const c = created === undefined ? 0 : Date.parse(created);
    return new Date(Math.max(c, st?.mtimeMs ?? 0)).toISOString();
  }
}
