/**
 * Streams a readable source into a uWS response with `tryEnd` + `onWritable` backpressure.
 *
 * Invariants:
 * - the status line and headers go out corked together with the first chunk (`writeHead`), so a
 *   source that fails before producing a byte (blob deleted since stat) can still be answered
 *   with a proper error status;
 * - chunks are Buffers handed to uWS as-is (a Buffer is a Uint8Array: no ArrayBuffer copy); when
 *   the socket cannot take all of one, the source is paused and the unsent tail is retried from
 *   `onWritable` using the response's write offset — at most one chunk is held per response;
 * - the source is destroyed (closing its file descriptor) as soon as the exchange closes for any
 *   reason: finished, aborted by the client, or failed;
 * - a source error after the head went out closes the connection (the client sees a short body,
 *   never a wrong one); a source that ends early does the same.
 */
import type { HttpResponse } from 'uWebSockets.js';
import type { Logger } from '../../log.js';
import { HttpError } from '../common/errors.js';
import type { Exchange } from '../common/respond.js';

export interface BodySource {
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
}

export function sendBody(
  x: Exchange,
  source: BodySource,
  total: number,
  writeHead: (res: HttpResponse) => void,
  log: Logger,
): void {
  let headWritten = false;
  let pending: Buffer | undefined;
  let pendingOffset = 0;
  let sourceEnded = false;
  const res = x.res;

  x.onClose(() => source.destroy());

  const finishIfShort = () => {
    // The source ended but uWS never reported the response complete: the file shrank.
    if (sourceEnded && pending === undefined && x.open) {
      log.warn('blob ended before its recorded size', { total });
      x.close();
    }
  };

  const onWritable = (offset: number): boolean => {
    if (pending === undefined || !x.open) return true;
    const [ok, done] = res.tryEnd(pending.subarray(offset - pendingOffset), total);
    if (done) {
      pending = undefined;
      x.markEnded();
    } else if (ok) {
      pending = undefined;
      source.resume();
      finishIfShort();
    }
    return ok;
  };

  source.on('data', (chunk: Buffer) => {
    if (!x.open) return;
    if (pending !== undefined) {
      // Not expected after pause(), but never reorder or drop bytes if a stream emits anyway.
      pending = Buffer.concat([pending, chunk]);
      return;
    }
    let ok = false;
    let done = false;
    x.cork((r) => {
      if (!headWritten) {
        writeHead(r);
        headWritten = true;
      }
      const offset = r.getWriteOffset();
      [ok, done] = r.tryEnd(chunk, total);
      if (!ok && !done) {
        pending = chunk;
        pendingOffset = offset;
      }
    });
    if (done) x.markEnded();
    else if (!ok) {
      source.pause();
      res.onWritable(onWritable);
    }
  });

  source.on('end', () => {
    sourceEnded = true;
    finishIfShort();
  });

  source.on('error', (err: Error) => {
    if (!x.open) return;
    if (headWritten) {
      log.warn('read failed mid-stream; closing the response', { err });
      x.close();
    } else if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      x.error(new HttpError('notFound', 'Video not found'));
    } else {
      log.error('read failed', { err });
      x.error(new HttpError('internal'));
    }
  });
}
