/**
 * Hands a video deletion to the scheduler service. When this process runs the scheduler, or
 * no SCHEDULER_URL is configured (records are shared: same process or the same MongoDB), the
 * record goes straight into the store's deletion queue (`enqueueDeletion` is idempotent).
 * Otherwise it is POSTed to `SCHEDULER_URL/video-delete-record/:vid` with SCHEDULER_TOKEN as a
 * bearer token, which is how the scheduler's REST service accepts records from other nodes.
 */

import { currentRequest } from '../../log.js';
import { HttpError } from '../common/errors.js';
import { internalRequest } from '../common/internal-client.js';
import type { ServiceContext } from '../context.js';

const TIMEOUT_MS = 5000;

export async function recordDeletion(ctx: ServiceContext, vid: string): Promise<void> {
  const { config } = ctx;
  if (config.only.includes('scheduler') || !config.schedulerUrl) {
    // The line the scheduler service writes when the record comes over HTTP, written here in
    // the request's scope so it carries the same request id in single-process mode.
    // The record keeps the request id: the executor's "video deleted" line carries it too.
    if (await ctx.queue.enqueueDeletion(vid, Date.now(), currentRequest()?.reqId || undefined)) {
      ctx.log.child('scheduler').info('deletion recorded', { video: vid });
    }
    return;
  }
  const headers: Record<string, string> = {};
  if (config.schedulerToken) headers.authorization = `Bearer ${config.schedulerToken}`;
  // internalRequest forwards the request id: the scheduler logs this deletion under the id of
  // the request that caused it.
  let status: number;
  try {
    const res = await internalRequest(`${config.schedulerUrl}/video-delete-record/${vid}`, {
      method: 'POST',
      headers,
      timeoutMs: TIMEOUT_MS,
    });
    status = res.status;
  } catch (err) {
    ctx.log.error('scheduler unreachable', { vid, err });
    throw new HttpError('internal', 'Could not record the deletion; try again');
  }
  if (status >= 300) {
    ctx.log.error('scheduler refused a deletion record', { vid, status });
    throw new HttpError('internal', 'Could not record the deletion; try again');
  }
}
