/**
 * Admission of a stream request: a limiter token or 429, then an Exchange whose close returns the
 * token and the in-flight count exactly once (Exchange.onClose runs once: finish, error or abort).
 */
import type { HttpResponse } from 'uWebSockets.js';
import { HttpError } from '../common/errors.js';
import { type Exchange, endWithLength, exchange, statusLine } from '../common/respond.js';
import type { ServiceContext } from '../context.js';
import type { StreamRouteOptions } from './options.js';

const BUSY = JSON.stringify(new HttpError('tooManyRequests').toJSON());
const BUSY_LENGTH = Buffer.byteLength(BUSY);

/**
 * Call in the synchronous handler. Undefined means 429 was answered (synchronously, so no abort
 * handler is needed); `kind` says whether a body must be withheld (HEAD) or the connection
 * dropped after the answer (upload with an unread body).
 */
export function admit(
  ctx: ServiceContext,
  options: StreamRouteOptions,
  res: HttpResponse,
  kind: 'get' | 'head' | 'upload' = 'get',
): Exchange | undefined {
  const limiter = ctx.limiter;
  if (limiter !== undefined && !limiter.tryAcquire()) {
    res.writeStatus(statusLine(429)).writeHeader('Content-Type', 'application/json');
    if (kind === 'head') endWithLength(res, BUSY_LENGTH);
    else res.end(BUSY, kind === 'upload');
    return undefined;
  }
  const x = exchange(res, kind === 'head');
  const endInflight = options.tracker?.begin();
  x.onClose(() => {
    limiter?.release();
    endInflight?.();
  });
  return x;
}
