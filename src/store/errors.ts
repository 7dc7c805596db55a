/**
 * The storage errors, in the project's one catalog (src/errors.ts). Every failure a store reports
 * is a StoreError with a stable `code` (callers branch on the class or code, never on the
 * message); across threads they travel with `serializeError`/`rebuildError`. A missing record is not an error (the port returns
 * `undefined`/`false`); a missing blob on read is ERR_BLOB_NOT_FOUND because a stream has no
 * other way to say it.
 */

import { defineErrors, VideoServerError } from '../errors.js';

export const STORE_ERROR_CODES = [
  /** A unique key is taken (user name). */
  'ERR_DUPLICATE',
  /** The backend cannot be reached or failed (network, disk, server selection timeout). */
  'ERR_STORE_UNAVAILABLE',
  /** An id is not a UUID (defence in depth: ids become file names and keys). */
  'ERR_INVALID_ID',
  /** A caller passed a bad argument (limit, lease, an over-long name); the message names it. */
  'ERR_INVALID_ARGUMENT',
  /** An upload exceeded the writer's `maxBytes`; nothing was kept. */
  'ERR_BLOB_TOO_LARGE',
  /** Reading a blob that does not exist. */
  'ERR_BLOB_NOT_FOUND',
  /** A read range outside the blob (check `stat` first; HTTP answers 416). */
  'ERR_INVALID_RANGE',
  /** A BlobWriter used after commit/abort. */
  'ERR_WRITER_CLOSED',
  /** The store was closed. */
  'ERR_STORE_CLOSED',
  /** The disk (or the user's file-system quota) is full: ENOSPC / EDQUOT; nothing was kept. */
  'ERR_STORAGE_FULL',
] as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export class StoreError extends VideoServerError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

export class DuplicateError extends StoreError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('ERR_DUPLICATE', `${what} already exists`, options);
  }
}

export class StoreUnavailableError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE_UNAVAILABLE', message, options);
  }
}

export class InvalidIdError extends StoreError {
  constructor(what: string, id: unknown) {
    // The id is echoed only when it is short and printable: it may come from a URL.
    const shown = typeof id === 'string' && /^[\x20-\x7e]{0,64}$/.test(id) ? `"${id}"` : 'value';
    super('ERR_INVALID_ID', `${what} must be a UUID, got ${shown}`);
  }
}

export class InvalidArgumentError extends StoreError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

export class BlobTooLargeError extends StoreError {
  constructor(maxBytes: number) {
    super('ERR_BLOB_TOO_LARGE', `blob exceeds the limit of ${maxBytes} bytes`);
  }
}

export class BlobNotFoundError extends StoreError {
  constructor(id: string) {
    super('ERR_BLOB_NOT_FOUND', `blob ${id} does not exist`);
  }
}

export class InvalidRangeError extends StoreError {
  constructor(start: number, end: number, size: number) {
    super('ERR_INVALID_RANGE', `range ${start}-${end} is not satisfiable for ${size} bytes`);
  }
}

export class WriterClosedError extends StoreError {
  constructor() {
    super('ERR_WRITER_CLOSED', 'blob writer is already committed or aborted');
  }
}

export class StoreClosedError extends StoreError {
  constructor() {
    super('ERR_STORE_CLOSED', 'store is closed');
  }
}

export class StorageFullError extends StoreError {
  constructor(cause: unknown) {
    super('ERR_STORAGE_FULL', `no space left for the blob (${(cause as Error)?.message})`, {
      cause,
    });
  }
}

/** ENOSPC (disk full) or EDQUOT (file-system quota): the storage, not the request, is at fault. */
export function isNoSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

defineErrors('store', {
  ERR_DUPLICATE: DuplicateError,
  ERR_STORE_UNAVAILABLE: StoreUnavailableError,
  ERR_INVALID_ID: InvalidIdError,
  ERR_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_BLOB_TOO_LARGE: BlobTooLargeError,
  ERR_BLOB_NOT_FOUND: BlobNotFoundError,
  ERR_INVALID_RANGE: InvalidRangeError,
  ERR_WRITER_CLOSED: WriterClosedError,
  ERR_STORE_CLOSED: StoreClosedError,
  ERR_STORAGE_FULL: StorageFullError,
});

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}
