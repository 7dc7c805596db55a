/**
 * `GET` and `HEAD /videos/:vid`: RFC 9110 ranges and conditional requests over a blob.
 *
 * Flow (each step may answer and stop): limiter token (429) → id is a UUID (400) → record active
 * and blob present (404) → preconditions (412/304) → Range/If-Range (416/206/200) → body.
 * The token and the in-flight count are released by the exchange's close, which happens exactly
 * once whether the response finished, failed or the client went away.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { BlobInfo } from '../../store/types.js';
import { HttpError } from '../common/errors.js';
import { parseUuid } from '../common/ids.js';
import { type Exchange, statusLine } from '../common/respond.js';
import type { ServiceContext } from '../context.js';
import { admit } from './admit.js';
import { blobSource } from './blob-source.js';
import { type ConditionalHeaders, evaluatePreconditions, rangeApplies } from './conditional.js';
import type { StreamRouteOptions } from './options.js';
import { parseRange, type RangeResult } from './range.js';
import { sendBody } from './send-body.js';

interface DownloadRequest extends ConditionalHeaders {
  range: string;
}

function copyHeaders(req: HttpRequest): DownloadRequest {
  return {
    range: req.getHeader('range'),
    ifMatch: req.getHeader('if-match'),
    ifNoneMatch: req.getHeader('if-none-match'),
    ifModifiedSince: req.getHeader('if-modified-since'),
    ifUnmodifiedSince: req.getHeader('if-unmodified-since'),
    ifRange: req.getHeader('if-range'),
  };
}

/** The blob of an active video, or undefined (→ 404). */
async function lookup(ctx: ServiceContext, vid: string): Promise<BlobInfo | undefined> {
  const [video, info] = await Promise.all([ctx.records.getVideo(vid), ctx.blobs.stat(vid)]);
  return video && video.state === 'active' ? info : undefined;
}

function validators(info: BlobInfo): Record<string, string> {
  return {
    'Accept-Ranges': 'bytes',
    ETag: info.etag,
    'Last-Modified': new Date(info.mtime).toUTCString(),
  };
}

function respond(
  ctx: ServiceContext,
  x: Exchange,
  vid: string,
  info: BlobInfo,
  h: DownloadRequest,
  head: boolean,
): void {
  const base = validators(info);
  const pre = evaluatePreconditions(h, info);
  if (pre === 'failed') {
    x.send(412, '', base);
    return;
  }
  if (pre === 'not-modified') {
    x.sendHeadersOnly(304, base);
    return;
  }
  const range: RangeResult = rangeApplies(h.ifRange, info)
    ? parseRange(h.range, info.size)
    : { kind: 'full' };
  if (range.kind === 'unsatisfiable') {
    x.send(416, '', { ...base, 'Content-Range': `bytes */${info.size}` });
    return;
  }
  const partial = range.kind === 'partial';
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : info.size - 1;
  const length = end - start + 1;
  const headers: Record<string, string> = { ...base, 'Content-Type': info.contentType };
  if (partial) headers['Content-Range'] = `bytes ${start}-${end}/${info.size}`;
  const status = statusLine(partial ? 206 : 200);
  if (head || length === 0) {
    if (head) x.sendHeadersOnly(partial ? 206 : 200, headers, length);
    else x.send(200, '', headers);
    return;
  }
  const source = blobSource(ctx, vid, start, end);
  sendBody(
    x,
    source,
    length,
    (res: HttpResponse) => {
      res.writeStatus(status);
      for (const k in headers) res.writeHeader(k, headers[k]!);
    },
    ctx.log,
  );
}

/** The handler for GET (head=false) or HEAD (head=true). */
export function downloadHandler(
  ctx: ServiceContext,
  options: StreamRouteOptions,
  head: boolean,
): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const rawId = req.getParameter(options.idParameter);
    const h = copyHeaders(req);
    const x = admit(ctx, options, res, head ? 'head' : 'get');
    if (!x) return;
    const vid = parseUuid(rawId);
    if (!vid) {
      x.error(new HttpError('badRequest', 'Invalid video id'));
      return;
    }
    lookup(ctx, vid).then(
      (info) => {
        if (!x.open) return;
        if (!info) x.error(new HttpError('notFound', 'Video not found'));
        else respond(ctx, x, vid, info, h, head);
      },
      (err: unknown) => {
        ctx.log.error('video lookup failed', { vid, err });
        x.error(new HttpError('dbFailed'));
      },
    );
  };
}
