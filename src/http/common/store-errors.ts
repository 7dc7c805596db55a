/**
 * How a storage failure reaches a client (issue 10, item 4): the fault is the server's, so it is
 * a 5xx that says whether retrying can help, and never the raw message (it names paths).
 *   ERR_STORAGE_FULL, ENOSPC, EDQUOT   → 507 insufficientStorage ("012")
 *   ERR_BLOB_TOO_LARGE                 → 413 tooLarge ("008")
 *   ERR_STORE_UNAVAILABLE (an LMDB commit that failed, a database that cannot be reached)
 *                                      → 503 unavailable ("011")
 *   any other StoreError               → 500 dbFailed ("003")
 *   anything else                      → 500 internal ("004")
 */
import { isNoSpace, isStoreError } from '../../store/errors.js';
import { HttpError } from './errors.js';

export function httpErrorFromStore(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (isStoreError(err, 'ERR_STORAGE_FULL') || isNoSpace(err)) {
    return new HttpError('insufficientStorage');
  }
  if (isStoreError(err, 'ERR_STORE_UNAVAILABLE')) return new HttpError('unavailable');
  if (isStoreError(err, 'ERR_BLOB_TOO_LARGE')) return new HttpError('tooLarge', 'File is too big');
  if (isStoreError(err)) return new HttpError('dbFailed');
  return new HttpError('internal');
}
