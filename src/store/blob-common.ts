/**
 * What both blob stores share: option defaults, argument checks, and the range rule.
 */
import { Readable } from 'node:stream';
import { InvalidArgumentError, InvalidRangeError } from './errors.js';

export interface BlobStoreOptions {
  /** Uploads larger than this are aborted with ERR_BLOB_TOO_LARGE. @default Infinity */
  maxBytes?: number;
  /** Blob ids fetched per page by `list()` (memory stays bounded however many blobs). @default 1000 */
  listPageSize?: number;
}

export const BLOB_STORE_DEFAULTS = Object.freeze({
  maxBytes: Number.POSITIVE_INFINITY,
  listPageSize: 1000,
});

export function checkListPageSize(n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > 1000) {
    throw new InvalidArgumentError('options.listPageSize must be an integer from 1 to 1000');
  }
  return n;
}

export function checkMaxBytes(maxBytes: unknown): number {
  if (maxBytes === Number.POSITIVE_INFINITY) return maxBytes;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new InvalidArgumentError('options.maxBytes must be a non-negative integer or Infinity');
  }
  return maxBytes;
}

/** A MIME type as it will go into a Content-Type header: printable ASCII, no CR/LF. */
export function checkContentType(ct: unknown): string {
  if (
    typeof ct !== 'string' ||
    ct.length === 0 ||
    ct.length > 255 ||
    !/^[\x21-\x7e][\x20-\x7e]*$/.test(ct)
  ) {
    throw new InvalidArgumentError('meta.contentType must be 1-255 printable ASCII characters');
  }
  return ct;
}

/**
 * Resolves an inclusive range against a size. No range = the whole blob (possibly empty).
 * Returns undefined for "nothing to read" (an empty blob read whole).
 */
export function resolveRange(
  range: { start: number; end: number } | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (range === undefined) return size === 0 ? undefined : { start: 0, end: size - 1 };
  const { start, end } = range;
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    end < start ||
    end >= size
  ) {
    throw new InvalidRangeError(start, end, size);
  }
  return { start, end };
}

/**
 * A byte stream (not object mode) over an async generator. Every failure, including a bad id
 * checked by `prepare`, surfaces as an 'error' on the stream: callers handle one path.
 */
export function byteStream(prepare: () => AsyncGenerator<Buffer>): Readable {
  let gen: AsyncIterable<Buffer>;
  try {
    gen = prepare();
  } catch (e) {
    gen = { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(e) }) };
  }
  return Readable.from(gen, { objectMode: false });
}
