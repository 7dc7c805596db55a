/**
 * `/videos/:vid`, `/posters/:vid` (GET, HEAD) and `/upload/:vid` (POST) on the web origin, for a web front that
 * does not run the stream service: proxied to STREAM_URL over a keep-alive agent, streaming in
 * both directions with backpressure.
 *
 * Invariants:
 * - download: the request headers a player needs (Range, If-Range, the validators) go up
 *   unchanged; status, Content-Range, ETag… come back unchanged; the body is piped with
 *   `sendBody` (tryEnd + onWritable, the upstream paused while the socket is full);
 * - upload: each uWS chunk is copied and written up; when the upstream socket is full the client
 *   is paused until 'drain'; the session cookie goes up as `X-Session-Id`;
 * - whichever side goes away first, the other is torn down (client abort destroys the upstream
 *   request; an upstream failure answers 502 and closes the client connection).
 */

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Agent, type ClientRequest, type IncomingMessage, request } from 'node:http';
import { HttpError } from '../common/errors.js';
import { forwardRequestId } from '../common/request-id.js';
import { type Exchange, exchange, statusLine } from '../common/respond.js';
import type { ServiceContext } from '../context.js';
import { sendBody } from '../stream/send-body.js';
import { readCookie } from './cookies.js';
import { mountTusProxy } from './tus-proxy.js';

const FORWARD_REQUEST = [
  'range',
  'if-range',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'accept',
];
const FORWARD_RESPONSE = [
  'content-type',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
  'cache-control',
  'retry-after',
];
const ID = /^[A-Za-z0-9-]{1,64}$/;

function pick(
  headers: IncomingMessage['headers'],
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = headers[n];
    if (typeof v === 'string') out[n] = v;
  }
  return out;
}

/** Buffers a small upstream body (error JSON, upload answers) and sends it. */
function relaySmall(x: Exchange, up: IncomingMessage, close: boolean): void {
  const chunks: Buffer[] = [];
  up.on('data', (c: Buffer) => chunks.push(c));
  up.on('end', () =>
    x.send(up.statusCode ?? 502, Buffer.concat(chunks), pick(up.headers, FORWARD_RESPONSE), close),
  );
  up.on('error', () => x.close());
}

function badGateway(x: Exchange, ctx: ServiceContext, err: unknown): void {
  ctx.log.warn('stream service unreachable', { err });
  x.send(
    502,
    JSON.stringify({ error: 'The stream service is unreachable', error_code: '004' }),
    { 'Content-Type': 'application/json' },
    true,
  );
}

/**
 * Streams the client's body into `up`: each uWS chunk copied (uWS neuters it on return), the
 * client paused while the upstream socket is full; `onEnd` runs when the last byte went up.
 */
export function pipeBodyUp(x: Exchange, up: ClientRequest, onEnd: () => void): void {
  x.res.onData((ab, isLast) => {
    if (!x.open) return;
    if (!isLast) x.bodyProgress(); // a slow client is not idle while its bytes arrive
    const ok = ab.byteLength === 0 || up.write(Buffer.from(new Uint8Array(ab)));
    if (isLast) {
      onEnd();
      up.end();
    } else if (!ok) {
      x.pause();
      up.once('drain', () => x.resume());
    }
  });
}

export function mountStreamProxy(app: TemplatedApp, ctx: ServiceContext, streamUrl: string): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });

  // `/videos/:vid` and `/posters/:vid`: a private video's bytes need the owner's session, so
  // the cookie goes up as X-Session-Id like on uploads.
  const download =
    (head: boolean, what: 'videos' | 'posters' = 'videos') =>
    (res: HttpResponse, req: HttpRequest) => {
      const x = exchange(res);
      const vid = req.getParameter(0);
      const headers: Record<string, string> = {};
      for (const n of FORWARD_REQUEST) {
        const v = req.getHeader(n);
        if (v) headers[n] = v;
      }
      const sid = readCookie(req.getHeader('cookie'));
      if (sid) headers['x-session-id'] = sid;
      forwardRequestId(headers);
      if (!ID.test(vid)) return void x.error(new HttpError('badRequest', 'Invalid video id'));
      const up = request(`${streamUrl}/${what}/${vid}`, {
        method: head ? 'HEAD' : 'GET',
        headers,
        agent,
      });
      x.onClose((aborted) => {
        if (aborted) up.destroy();
      });
      up.on('error', (err) => badGateway(x, ctx, err));
      up.on('response', (ur) => {
        const status = ur.statusCode ?? 502;
        const h = pick(ur.headers, FORWARD_RESPONSE);
        const len = Number(ur.headers['content-length'] ?? Number.NaN);
        if (head || status === 304) {
          ur.resume();
          x.sendHeadersOnly(status, h, head && Number.isFinite(len) ? len : undefined);
        } else if (Number.isFinite(len) && len > 0) {
          sendBody(
            x,
            ur,
            len,
            (r) => {
              r.writeStatus(statusLine(status));
              for (const k in h) r.writeHeader(k, h[k]!);
            },
            ctx.log,
          );
        } else relaySmall(x, ur, false);
      });
      up.end();
    };

  const upload = (res: HttpResponse, req: HttpRequest) => {
    const x = exchange(res);
    const vid = req.getParameter(0);
    const headers: Record<string, string> = { 'content-type': req.getHeader('content-type') };
    const length = req.getHeader('content-length');
    if (length) headers['content-length'] = length;
    const sid = readCookie(req.getHeader('cookie'));
    if (sid) headers['x-session-id'] = sid;
    forwardRequestId(headers);
    let finished = false; // the whole client body went up
    const up = request(`${streamUrl}/upload/${ID.test(vid) ? vid : 'invalid'}`, {
      method: 'POST',
      headers,
      agent,
    });
    x.onClose((aborted) => {
      if (aborted) up.destroy();
    });
    pipeBodyUp(x, up, () => {
      finished = true;
    });
    up.on('error', (err) => badGateway(x, ctx, err));
    // An early answer (401, 413…) leaves the client's body unread: close after it.
    up.on('response', (ur) => relaySmall(x, ur, !finished));
  };

  app.get('/videos/:vid', download(false));
  app.head('/videos/:vid', download(true));
  app.get('/posters/:vid', download(false, 'posters'));
  app.head('/posters/:vid', download(true, 'posters'));
  app.post('/upload/:vid', upload);
  mountTusProxy(app, ctx, streamUrl, agent);
}
