/**
 * The stream service's GET/HEAD handler on node:http, for the benchmark: the same store lookups
 * (record + blob stat), the same range/conditional code and the same limiter, only the HTTP layer
 * differs. Runs in a worker thread; posts `{ port }` once listening, closes on any message.
 */
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { LimiterClient } from '../../src/actors/index.js';
import type { Config } from '../../src/config.js';
import { parseUuid } from '../../src/http/common/ids.js';
import { evaluatePreconditions, rangeApplies } from '../../src/http/stream/conditional.js';
import { parseRange } from '../../src/http/stream/range.js';
import { openStores } from '../../src/store/index.js';

const { config, limiterShared } = workerData as {
  config: Config;
  limiterShared: SharedArrayBuffer | undefined;
};
const stores = await openStores(config);
const limiter = limiterShared ? new LimiterClient(limiterShared) : undefined;

function fail(res: http.ServerResponse, status: number, error: string, code: string): void {
  const body = JSON.stringify({ error, error_code: code });
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const m = /^\/videos\/([^/?]+)$/.exec(req.url ?? '');
  if (!m || (req.method !== 'GET' && req.method !== 'HEAD'))
    return fail(res, 404, 'Not found', '005');
  if (limiter && !limiter.tryAcquire()) return fail(res, 429, 'Too many requests', '010');
  let released = false;
  const release = () => {
    if (!released && limiter) limiter.release();
    released = true;
  };
  res.on('close', release);
  const vid = parseUuid(m[1]!);
  if (!vid) return fail(res, 400, 'Invalid video id', '001');
  const h = req.headers;
  Promise.all([stores.records.getVideo(vid), stores.blobs.stat(vid)]).then(
    ([video, info]) => {
      if (video?.state !== 'active' || !info) return fail(res, 404, 'Video not found', '005');
      const cond = {
        ifMatch: h['if-match'] ?? '',
        ifNoneMatch: h['if-none-match'] ?? '',
        ifModifiedSince: h['if-modified-since'] ?? '',
        ifUnmodifiedSince: h['if-unmodified-since'] ?? '',
        ifRange: (h['if-range'] as string | undefined) ?? '',
      };
      const base = {
        'Accept-Ranges': 'bytes',
        ETag: info.etag,
        'Last-Modified': new Date(info.mtime).toUTCString(),
      };
      const pre = evaluatePreconditions(cond, info);
      if (pre !== 'proceed') {
        res.writeHead(pre === 'failed' ? 412 : 304, base);
        return res.end();
      }
      const range = rangeApplies(cond.ifRange, info)
        ? parseRange(h.range ?? '', info.size)
        : ({ kind: 'full' } as const);
      if (range.kind === 'unsatisfiable') {
        res.writeHead(416, { ...base, 'Content-Range': `bytes */${info.size}` });
        return res.end();
      }
      const start = range.kind === 'partial' ? range.start : 0;
      const end = range.kind === 'partial' ? range.end : info.size - 1;
      const headers: Record<string, string | number> = {
        ...base,
        'Content-Type': info.contentType,
        'Content-Length': end - start + 1,
      };
      if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${info.size}`;
      res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
      if (req.method === 'HEAD') return res.end();
      const source = stores.blobs.read(vid, { start, end }) as NodeJS.ReadableStream & {
        destroy(): void;
      };
      source.on('error', () => res.destroy());
      res.on('close', () => source.destroy());
      source.pipe(res);
    },
    () => fail(res, 500, 'DB ops failed', '003'),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  parentPort!.postMessage({ port: (server.address() as { port: number }).port });
});
parentPort!.once('message', () => {
  server.closeAllConnections();
  server.close(() => void stores.close().then(() => parentPort!.close()));
});
