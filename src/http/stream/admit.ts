/**
 * Admission of a stream request: a limiter token or 429, then an Exchange whose close returns the
 * token and the in-flight count exactly once (Exchange.onClose runs once: finish, error or abort).
 */
import type { HttpResponse } from 'uWebSockets.js';
import { HttpError } from '../common/errors.js';
import { type Exchange, endWithLength, exchange, statusLine } from '../common/respond.js';
import { JSON_HEADERS, wire } from '../common/wire.js';
import type { ServiceContext } from '../context.js';
import type { StreamRouteOptions } from './options.js';

const BUSY = wire(JSON.stringify(new HttpError('tooManyRequests').toJSON()));
const BUSY_LENGTH = BUSY.byteLength;

/** How a request is admitted: whether a body must be withheld or the connection dropped. */
export type AdmitKind = 'get' | 'head' | 'upload';

/**
 * The admission of one route set: call it in the synchronous handler. Undefined means 429 was
 * answered (synchronously, so no abort handler is needed); `kind` says whether a body must be
 * withheld (HEAD) or the connection dropped after the answer (upload with an unread body). The
 * release listener is made once here, not per request (the Exchange calls it exactly once).
 */
export function admitter(
  ctx: ServiceContext,
  options: StreamRouteOptions,
): (res: HttpResponse, kind?: AdmitKind) => Exchange | undefined {
  const limiter = ctx.limiter;
  const tracker = options.tracker;
  const release = () => {
    limiter?.release();
    tracker?.leave();
  };
  return (res, kind = 'get') => {
    if (limiter !== undefined && !limiter.tryAcquire()) {
      res.writeStatus(JSON_HEADERS.head(429, statusLine));
      if (kind === 'head') endWithLength(res, BUSY_LENGTH);
      else res.end(BUSY, kind === 'upload');
      return undefined;
    }
    const x = exchange(res, kind === 'head');
    tracker?.enter();
    x.onClose(release);
    return x;
  };
}
