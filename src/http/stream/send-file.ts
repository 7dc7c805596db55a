/**
 * Streams a byte range of an open file into a uWS response, reading synchronously on the HTTP
 * thread when the socket can take more — the nginx model (blocking reads from the page cache,
 * no aio) instead of a thread-pool round trip per chunk. Each HTTP thread blocks only itself, for
 * one chunk read at a time; the generic async path (send-body.ts) serves non-file stores.
 *
 * Invariants:
 * - pull-driven: a chunk is read only after the previous one was fully accepted by `tryEnd`; when
 *   the socket is full the unsent tail stays `pending` and is retried from `onWritable` at the
 *   response's write offset — at most one chunk is held per response;
 * - after `tryEnd` reports ok, uWS has taken every byte, so chunk buffers are reused (a small
 *   per-thread pool) — no allocation and no ArrayBuffer copy per chunk;
 * - the descriptor is closed, and the buffer returned, exactly once when the exchange closes for
 *   any reason (finished, aborted, read error); a read error or a file shorter than announced
 *   closes the connection (the head is out: the client sees a short body, never a wrong one).
 */

import type { HttpResponse } from 'uWebSockets.js';
import { readSync } from 'node:fs';
import type { Logger } from '../../log.js';
import { inSyncHandler } from '../common/request.js';
import type { Exchange } from '../common/respond.js';

/** Bytes per read. */
export const FILE_CHUNK = 512 * 1024;
/** Ranges up to this size are read at once and sent with one corked `end` (sendSmall). */
const SMALL = 64 * 1024;
const POOL_MAX = 64;
const pool: Buffer[] = [];

function takeBuffer(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(FILE_CHUNK);
}

function giveBuffer(b: Buffer): void {
  if (b.length === FILE_CHUNK && pool.length < POOL_MAX) pool.push(b);
}

/** The status line and headers, written together with the first bytes. */
export interface ResponseHead {
  writeHead(res: HttpResponse): void;
}

/** An open file lent to one response: `release()` is called exactly once when it is done. */
export interface FileLease {
  readonly fd: number;
  release(): void;
}

/**
 * Sends bytes `start..end` (inclusive) of `file`, which this call releases when the exchange
 * closes. Call it from the synchronous handler or an async continuation: writes are corked here.
 */
export function sendFile(
  x: Exchange,
  file: FileLease,
  start: number,
  end: number,
  head: ResponseHead,
  log: Logger,
): void {
  const res = x.res;
  const total = end - start + 1;
  if (total <= SMALL) {
    sendSmall(x, file, start, total, head, log);
    return;
  }
  const fd = file.fd;
  let pos = start;
  let buf: Buffer | undefined = takeBuffer();
  let chunk: Buffer | undefined; // the bytes of the last read not yet fully accepted
  let chunkOffset = 0; // response write offset at which `chunk` begins
  let closed = false;

  const cleanup = () => {
    if (closed) return;
    closed = true;
    try {
      file.release();
    } catch (err) {
      log.warn('close failed', { err });
    }
    if (buf) giveBuffer(buf);
    buf = undefined;
  };
  x.onClose(cleanup);

  /** Writes until done or the socket is full; returns false when it is full. */
  const pump = (): boolean => {
    while (x.open && buf) {
      if (chunk === undefined) {
        const want = Math.min(buf.length, end + 1 - pos);
        let n = 0;
        try {
          n = want > 0 ? readSync(fd, buf, 0, want, pos) : 0;
        } catch (err) {
          log.warn('read failed mid-stream; closing the response', { err });
          x.close();
          return true;
        }
        if (n === 0) {
          log.warn('file ended before its recorded size', { total });
          x.close();
          return true;
        }
        pos += n;
        chunk = buf.subarray(0, n);
        chunkOffset = res.getWriteOffset();
      }
      const [ok, done] = res.tryEnd(chunk.subarray(res.getWriteOffset() - chunkOffset), total);
      if (done) {
        x.markEnded();
        return true;
      }
      if (!ok) return false;
      chunk = undefined;
    }
    return true;
  };

  x.cork((r) => {
    head.writeHead(r);
    // The handler stays registered until the response ends; uWS calls it on every drain.
    if (!pump()) res.onWritable(pump);
  });
}

/**
 * A small range (≤ 64 KiB): one read into a buffer of its size, then status, headers and body in
 * one corked write with `end` (uWS buffers what the socket does not take at once; bounded by
 * SMALL). No pump, no onWritable, no close listener: the lease is released before returning.
 */
function sendSmall(
  x: Exchange,
  file: FileLease,
  start: number,
  total: number,
  head: ResponseHead,
  log: Logger,
): void {
  const buf = Buffer.allocUnsafe(total);
  let n = 0;
  try {
    while (n < total) {
      const got = readSync(file.fd, buf, n, total - n, start + n);
      if (got === 0) break;
      n += got;
    }
  } catch (err) {
    log.warn('read failed', { err });
  } finally {
    file.release();
  }
  if (n < total) {
    // Nothing was written yet: the client gets a dropped connection, never a wrong body.
    log.warn('file ended before its recorded size', { total });
    x.close();
    return;
  }
  if (!x.open) return;
  const res = x.res;
  if (inSyncHandler(res))
    endSmall(res, head, buf); // corked by uWS already: no closure
  else res.cork(() => endSmall(res, head, buf));
  x.markEnded();
}

function endSmall(res: HttpResponse, head: ResponseHead, buf: Buffer): void {
  head.writeHead(res);
  res.end(buf);
}
