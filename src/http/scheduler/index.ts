/**
 * The scheduler's REST service (seed: scheduler/handlers.go), mounted by the HTTP host.
 *
 * - `POST /video-delete-record/:vid` records a deletion: 200 with an empty body (as the seed),
 *   also when it was already recorded; 400 for an id that is not a UUID; 401 without the token
 *   (always required, see auth.ts). The seed's `GET` changed state; ours answers 405 (a GET must
 *   be safe: links, prefetchers and crawlers follow them) and records nothing.
 * - `GET /stats`: `{ queue: {pending, dead}, runners: {<name>: counters} | null }` — queue sizes
 *   from the store, counters from the scheduler's board (received over a cross-thread channel)
 *   when it runs in this process (`runners: null` when it does not).
 *
 * uWS rules: headers and parameters are copied before the first await; the Exchange registers
 * onAborted first and never touches `res` after abort or end.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { currentRequest } from '../../log.js';
import { parseUuid } from '../common/ids.js';
import { inflightOf } from '../common/inflight.js';
import { exchange } from '../common/respond.js';
import type { ServiceContext } from '../context.js';
import { bearerCheck } from './auth.js';

export { bearerCheck, isLoopback } from './auth.js';

export function mountScheduler(app: TemplatedApp, ctx: ServiceContext): void {
  const { config, queue } = ctx;
  const log = ctx.log.child('scheduler-http');
  const allowed = bearerCheck(config.schedulerToken);
  const inflight = inflightOf(app);

  /** Common prologue: wrap, count, authorize. Returns undefined when already answered. */
  const begin = (res: HttpResponse, req: HttpRequest) => {
    const ex = exchange(res);
    ex.onClose(inflight.begin());
    if (!allowed(req.getHeader('authorization'))) {
      ex.error('unauthorized', 'Missing or wrong scheduler token');
      return undefined;
    }
    return ex;
  };

  const record = (res: HttpResponse, req: HttpRequest) => {
    const ex = begin(res, req);
    if (!ex) return;
    const vid = parseUuid(req.getParameter(0) ?? '');
    if (!vid) {
      ex.error('badRequest', 'The video id must be a UUID');
      return;
    }
    // The forwarded X-Request-Id (the api's request): kept on the record for the executor's line.
    queue.enqueueDeletion(vid, Date.now(), currentRequest()?.reqId || undefined).then(
      (added) => {
        if (added) log.info('deletion recorded', { video: vid });
        ex.send(200);
      },
      (err) => {
        log.error('could not record a deletion', { video: vid, error: err });
        ex.error('dbFailed');
      },
    );
  };
  app.post('/video-delete-record/:vid', record);
  app.get('/video-delete-record/:vid', (res) => {
    exchange(res).send(
      405,
      JSON.stringify({ error: 'Use POST with the scheduler token', error_code: '001' }),
      { Allow: 'POST', 'Content-Type': 'application/json' },
    );
  });

  app.get('/stats', (res, req) => {
    const ex = begin(res, req);
    if (!ex) return;
    const board = ctx.schedulerBoard;
    queue.countDeletions().then(
      (counts) =>
        ex.json(200, {
          queue: counts,
          runners: board ? board.snapshot() : null,
          // The supervision tree: each actor's thread, state and restart count.
          actors: board ? board.actors() : null,
        }),
      (err) => {
        log.error('could not read the deletion queue', { error: err });
        ex.error('dbFailed');
      },
    );
  });
}
