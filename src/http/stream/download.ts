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
import { localPath } from './blob-source.js';
import { type ConditionalHeaders, evaluatePreconditions, rangeApplies } from './conditional.js';
import { LocalBlob } from './local-blob.js';
import type { StreamRouteOptions } from './options.js';
import { parseRange, type RangeResult } from './range.js';
import { type BodySource, sendBody } from './send-body.js';
import { sendFile } from './send-file.js';

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

/** Streams bytes `start..end` into the exchange, writing the head first. */
type SendRange = (
  x: Exchange,
  start: number,
  end: number,
  writeHead: (res: HttpResponse) => void,
) => void;

/**
 * The blob of an active video and a way to read it, or undefined (→ 404). The record comes first:
 * an unknown id costs no file-system call. `release` frees what `open` did not hand to a stream.
 */
async function lookup(
  ctx: ServiceContext,
  vid: string,
  head: boolean,
): Promise<{ info: BlobInfo; send: SendRange; release(): void } | undefined> {
  const video = await ctx.records.getVideo(vid);
  if (video?.state !== 'active') return undefined;
  const path = localPath(ctx, vid);
  if (path !== undefined) {
    const opened = LocalBlob.open(ctx.blobs, vid, path, !head);
    const blob = opened instanceof Promise ? await opened : opened;
    if (!blob) return undefined;
    return {
      info: blob.info,
      send: (x, start, end, writeHead) =>
        sendFile(x, blob.takeFd(), start, end, writeHead, ctx.log),
      release: () => blob.release(),
    };
  }
  const info = await ctx.blobs.stat(vid);
  if (!info) return undefined;
  return {
    info,
    send: (x, start, end, writeHead) => {
      const source = ctx.blobs.read(vid, { start, end }) as unknown as BodySource;
      sendBody(x, source, end - start + 1, writeHead, ctx.log);
    },
    release: () => {},
  };
}

const httpDates = new Map<number, string>();

/** Last-Modified text, memoized: formatting a date per request is measurable on small ranges. */
function httpDate(mtime: number): string {
  let d = httpDates.get(mtime);
  if (d === undefined) {
    if (httpDates.size >= 4096) httpDates.clear();
    httpDates.set(mtime, (d = new Date(mtime).toUTCString()));
  }
  return d;
}

function validators(info: BlobInfo): Record<string, string> {
  return { 'Accept-Ranges': 'bytes', ETag: info.etag, 'Last-Modified': httpDate(info.mtime) };
}

function respond(
  x: Exchange,
  info: BlobInfo,
  send: SendRange,
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
  send(x, start, end, (res: HttpResponse) => {
    res.writeStatus(status);
    for (const k in headers) res.writeHeader(k, headers[k]!);
  });
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
    lookup(ctx, vid, head).then(
      (found) => {
        if (!found) {
          x.error(new HttpError('notFound', 'Video not found'));
          return;
        }
        try {
          if (x.open) respond(x, found.info, found.send, h, head);
        } finally {
          found.release(); // no-op once a stream took the descriptor
        }
      },
      (err: unknown) => {
        ctx.log.error('video lookup failed', { vid, err });
        x.error(new HttpError('dbFailed'));
      },
    );
  };
}
