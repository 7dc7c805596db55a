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
      answerNow(res, kind, 429, BUSY);
      return undefined;
    }
    const x = exchange(res, kind === 'head');
    tracker?.enter();
    x.onClose(release);
    return x;
  };
}

/**
 * Answers `status` with a JSON `body` in the synchronous handler (uWS has corked the response),
 * holding nothing: no limiter token, no Exchange. For answers that need no I/O — a 429, or a
 * malformed or unknown id found in the embedded store — so a flood of them never takes the
 * tokens that downloads wait for.
 */
export function answerNow(
  res: HttpResponse,
  kind: AdmitKind,
  status: number,
  body: ArrayBuffer,
): void {
  res.writeStatus(JSON_HEADERS.head(status, statusLine));
  if (kind === 'head') endWithLength(res, body.byteLength);
  else res.end(body, kind === 'upload');
}
