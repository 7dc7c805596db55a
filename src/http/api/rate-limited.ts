/** The api's 429: an HttpError that also says when to come back (`Retry-After`, seconds). */
import { HttpError } from '../common/errors.js';

export class RateLimitedError extends HttpError {
  readonly retryAfterSec: number;
  constructor(retryAfterSec: number, message?: string) {
    super('tooManyRequests', message);
    this.retryAfterSec = Math.max(1, Math.ceil(retryAfterSec));
  }
}
