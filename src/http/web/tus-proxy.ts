/**
 * tus (`/files`, `/files/:id`) on the web origin when the stream service runs elsewhere: each
 * request goes to STREAM_URL with its tus headers, the session cookie as X-Session-Id (a client's
 * own X-Session-Id is dropped: on the web origin the cookie decides), and the body streamed up
 * with backpressure (uWS chunks copied; the client paused while the upstream socket is full).
 * Answers are small (tus sends headers and at most an error text): buffered, then sent with the
 * tus headers. Either side going away tears down the other.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { type Agent, type IncomingMessage, request } from 'node:http';
import { forwardRequestId } from '../common/request-id.js';
import { exchange } from '../common/respond.js';
import type { ServiceContext } from '../context.js';
import { readCookie } from './cookies.js';
import { pipeBodyUp } from './stream-proxy.js';

const UP = [
  'tus-resumable',
  'upload-length',
  'upload-offset',
  'upload-metadata',
  'upload-defer-length',
  'upload-concat',
  'content-type',
  'content-length',
];
const DOWN = [
  'tus-resumable',
  'tus-version',
  'tus-extension',
  'tus-max-size',
  'location',
  'upload-length',
  'upload-offset',
  'upload-metadata',
  'upload-defer-length',
  'upload-expires',
  'content-type',
  'cache-control',
];

function down(up: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of DOWN) {
    const v = up.headers[n];
    if (typeof v === 'string') out[n] = v;
  }
  return out;
}

export function mountTusProxy(
  app: TemplatedApp,
  ctx: ServiceContext,
  streamUrl: string,
  agent: Agent,
): void {
  const handler = (res: HttpResponse, req: HttpRequest) => {
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const x = exchange(res, method === 'HEAD');
    const headers: Record<string, string> = {};
    for (const n of UP) {
      const v = req.getHeader(n);
      if (v) headers[n] = v;
    }
    const sid = readCookie(req.getHeader('cookie'));
    if (sid) headers['x-session-id'] = sid;
    forwardRequestId(headers);
    const id = req.getParameter(0);
    const path = id === undefined || id === '' ? '/files' : `/files/${encodeURIComponent(id)}`;
    let finished = false;
    const up = request(streamUrl + path, { method, headers, agent });
    x.onClose((aborted) => {
      if (aborted) up.destroy();
    });
    if (method === 'HEAD' || method === 'OPTIONS' || method === 'DELETE') {
      res.onData(() => {});
      finished = true;
      up.end();
    } else
      pipeBodyUp(x, up, () => {
        finished = true;
      });
    up.on('error', (err) => {
      ctx.log.warn('stream service unreachable (tus)', { err });
      x.send(502, '', {}, true);
    });
    up.on('response', (ur) => {
      const chunks: Buffer[] = [];
      ur.on('data', (c: Buffer) => chunks.push(c));
      ur.on('error', () => x.close());
      ur.on('end', () => {
        const status = ur.statusCode ?? 502;
        if (x.head || status === 204) x.sendHeadersOnly(status, down(ur));
        // An early answer (401, 413…) leaves the client's body unread: close after it.
        else x.send(status, Buffer.concat(chunks), down(ur), !finished);
      });
    });
  };
  for (const pattern of ['/files', '/files/', '/files/:id']) {
    app.post(pattern, handler);
    app.options(pattern, handler);
    app.head(pattern, handler);
    app.patch(pattern, handler);
    app.del(pattern, handler);
  }
}
