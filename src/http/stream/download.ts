/**
 * `GET` and `HEAD /videos/:vid` (and `/posters/:vid`, the video's poster image): RFC 9110 ranges
 * and conditional requests over a blob.
 *
 * Flow (each step may answer and stop): limiter token (429) → id is a UUID (400) → record
 * servable (404) → blob present (404) → preconditions (412/304) → Range/If-Range (416/206/200)
 * → body. The token and the in-flight count are released by the exchange's close, which happens
 * exactly once whether the response finished, failed or the client went away.
 *
 * The hot path (profile in bench/results/http-profile.md) runs in the synchronous handler
 * without one promise: the record comes from the store's synchronous read when it has one
 * (LMDB), the blob from the open-file cache (local-blob.ts: one stat, no open/close), and
 * status, headers and a small body go out in one corked write. The 404/400 bodies are built
 * once. Stores without those capabilities (MongoDB, GridFS) take the same steps asynchronously.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { BlobInfo, Video } from '../../store/types.js';
import { HttpError } from '../common/errors.js';
import { parseUuid } from '../common/ids.js';
import { type Exchange, statusWire } from '../common/respond.js';
import { sessionFrom } from '../common/session.js';
import { JSON_HEADERS, wire } from '../common/wire.js';
import type { ServiceContext } from '../context.js';
import { admitter, answerNow } from './admit.js';
import { type ConditionalHeaders, evaluatePreconditions, rangeApplies } from './conditional.js';
import { type OpenBlob, openBlob } from './local-blob.js';
import type { StreamRouteOptions } from './options.js';
import { parseRange } from './range.js';
import { type BodySource, sendBody } from './send-body.js';
import { sendFile } from './send-file.js';

interface DownloadRequest extends ConditionalHeaders {
  range: string;
  head: boolean;
}

function copyHeaders(req: HttpRequest, head: boolean): DownloadRequest {
  return {
    range: req.getHeader('range'),
    ifMatch: req.getHeader('if-match'),
    ifNoneMatch: req.getHeader('if-none-match'),
    ifModifiedSince: req.getHeader('if-modified-since'),
    ifUnmodifiedSince: req.getHeader('if-unmodified-since'),
    ifRange: req.getHeader('if-range'),
    head,
  };
}

// Encoded once (wire.ts): the addon copies bytes as they are.
const NOT_FOUND = wire(JSON.stringify(new HttpError('notFound', 'Video not found').toJSON()));
const NO_POSTER = wire(JSON.stringify(new HttpError('notFound', 'Poster not found').toJSON()));
const BAD_ID = wire(JSON.stringify(new HttpError('badRequest', 'Invalid video id').toJSON()));

/** What is served from a video's record: its bytes, or its poster beside them. */
export type DownloadKind = 'video' | 'poster';

/**
 * Whether this record's bytes may be served (visibility, common/visibility.ts): `yes`, `no`
 * (404), or `owner` — a private video, served only when the caller's session is its owner's.
 * It runs on every request, so it is synchronous and reads only the record; the session is looked
 * up only for private videos.
 */
function servable(video: Video | undefined): 'yes' | 'no' | 'owner' {
  if (video?.state !== 'active') return 'no';
  return video.visibility === 'private' ? 'owner' : 'yes';
}

/** The blob to send for this record, or undefined (no poster yet → 404). */
function blobOf(video: Video, kind: DownloadKind): string | undefined {
  return kind === 'video' ? video.id : (video.posterId ?? undefined);
}

const httpDates = new Map<number, string>();

/** Last-Modified text, memoized (the generic path; cached files carry their own). */
function httpDate(mtime: number): string {
  let d = httpDates.get(mtime);
  if (d === undefined) {
    if (httpDates.size >= 4096) httpDates.clear();
    httpDates.set(mtime, (d = new Date(mtime).toUTCString()));
  }
  return d;
}

/** The range head's constant text, encoded once (wire.ts). */
const HEAD = Object.freeze({
  acceptRanges: wire('Accept-Ranges'),
  bytes: wire('bytes'),
  etag: wire('ETag'),
  lastModified: wire('Last-Modified'),
  contentType: wire('Content-Type'),
  contentRange: wire('Content-Range'),
});

/**
 * What to send once preconditions and Range are settled, and the head written with the first
 * bytes (a class, so no closure is made per request).
 */
class Plan {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly partial: boolean,
    readonly info: BlobInfo,
    readonly lastModified: string,
  ) {}

  writeHead(res: HttpResponse): void {
    const info = this.info;
    res.writeStatus(statusWire(this.partial ? 206 : 200));
    res.writeHeader(HEAD.acceptRanges, HEAD.bytes);
    res.writeHeader(HEAD.etag, info.etag);
    res.writeHeader(HEAD.lastModified, this.lastModified);
    res.writeHeader(HEAD.contentType, info.contentType);
    if (this.partial)
      res.writeHeader(HEAD.contentRange, `bytes ${this.start}-${this.end}/${info.size}`);
  }
}

function baseHeaders(info: BlobInfo, lastModified: string): Record<string, string> {
  return { 'Accept-Ranges': 'bytes', ETag: info.etag, 'Last-Modified': lastModified };
}

/**
 * Answers everything that carries no body (412, 304, 416, HEAD, empty file) and returns
 * undefined; otherwise the byte range and the head to write with the first bytes.
 */
function plan(
  x: Exchange,
  info: BlobInfo,
  lastModified: string,
  h: DownloadRequest,
): Plan | undefined {
  const pre = evaluatePreconditions(h, info);
  if (pre !== 'proceed') {
    if (pre === 'failed') x.send(412, '', baseHeaders(info, lastModified));
    else x.sendHeadersOnly(304, baseHeaders(info, lastModified));
    return undefined;
  }
  const range = rangeApplies(h.ifRange, info) ? parseRange(h.range, info.size) : undefined;
  if (range?.kind === 'unsatisfiable') {
    const headers = baseHeaders(info, lastModified);
    headers['Content-Range'] = `bytes */${info.size}`;
    x.send(416, '', headers);
    return undefined;
  }
  const partial = range?.kind === 'partial';
  const start = partial ? range.start : 0;
  const end = partial ? range.end : info.size - 1;
  if (h.head || end < start) {
    const headers = baseHeaders(info, lastModified);
    headers['Content-Type'] = info.contentType;
    if (partial) headers['Content-Range'] = `bytes ${start}-${end}/${info.size}`;
    if (h.head) x.sendHeadersOnly(partial ? 206 : 200, headers, end - start + 1);
    else x.send(200, '', headers);
    return undefined;
  }
  return new Plan(start, end, partial, info, lastModified);
}

/** The blob step and the response, once the record said yes. */
function serve(ctx: ServiceContext, x: Exchange, vid: string, h: DownloadRequest): void {
  const blobs = ctx.blobs;
  if (blobs.localPath !== undefined) {
    const opened = openBlob(blobs as typeof blobs & { localPath(id: string): string }, vid);
    if (opened instanceof Promise) opened.then((b) => serveLocal(ctx, x, b, h), fail(ctx, x, vid));
    else serveLocal(ctx, x, opened, h);
    return;
  }
  blobs.stat(vid).then(
    (info) => {
      if (!x.open) return;
      if (!info) return void x.send(404, NOT_FOUND, JSON_HEADERS);
      const p = plan(x, info, httpDate(info.mtime), h);
      if (!p) return;
      const source = blobs.read(vid, { start: p.start, end: p.end }) as unknown as BodySource;
      sendBody(x, source, p.end - p.start + 1, (r) => p.writeHead(r), ctx.log);
    },
    fail(ctx, x, vid),
  );
}

function serveLocal(
  ctx: ServiceContext,
  x: Exchange,
  blob: OpenBlob | undefined,
  h: DownloadRequest,
): void {
  if (!blob) {
    x.send(404, NOT_FOUND, JSON_HEADERS);
    return;
  }
  let lent = false;
  try {
    if (!x.open) return;
    const p = plan(x, blob.info, blob.lastModified, h);
    if (!p) return;
    lent = true; // sendFile releases it from here on
    sendFile(x, blob, p.start, p.end, p, ctx.log);
  } finally {
    if (!lent) blob.release();
  }
}

function fail(ctx: ServiceContext, x: Exchange, vid: string) {
  return (err: unknown) => {
    ctx.log.error('video lookup failed', { vid, err });
    x.error(new HttpError('dbFailed'));
  };
}

/** The handler for GET (head=false) or HEAD (head=true). */
export function downloadHandler(
  ctx: ServiceContext,
  options: StreamRouteOptions,
  head: boolean,
  kind: DownloadKind = 'video',
): (res: HttpResponse, req: HttpRequest) => void {
  const notFound = kind === 'video' ? NOT_FOUND : NO_POSTER;
  /** Serves the record's blob if `servable` allows it for this caller, else 404. */
  const decide = (x: Exchange, video: Video | undefined, sid: string, h: DownloadRequest) => {
    const access = servable(video);
    const id = access === 'no' ? undefined : blobOf(video!, kind);
    if (id === undefined) return void x.send(404, notFound, JSON_HEADERS);
    if (access === 'yes') return void serve(ctx, x, id, h);
    sessionFrom(ctx, sid).then(
      (s) => {
        if (!x.open) return;
        if (s?.userId === video!.authorId) serve(ctx, x, id, h);
        else x.send(404, notFound, JSON_HEADERS);
      },
      fail(ctx, x, id),
    );
  };
  const admit = admitter(ctx, options);
  const kindOfAdmit = head ? 'head' : 'get';
  // Looked up once: the records store may be a Proxy (metrics/store.ts) and this runs per request.
  const records = ctx.records;
  const getVideoNow = records.getVideoNow?.bind(records);
  return (res, req) => {
    const vid = parseUuid(req.getParameter(options.idParameter));
    // A malformed id, and an id the embedded store does not know, are answered at once without
    // a token (admit.ts, answerNow): nothing is read, so there is nothing to bound.
    if (!vid) return answerNow(res, kindOfAdmit, 400, BAD_ID);
    if (getVideoNow !== undefined) {
      let video: Video | undefined;
      try {
        video = getVideoNow(vid);
      } catch (err) {
        const x = admit(res, kindOfAdmit);
        if (x) fail(ctx, x, vid)(err);
        return;
      }
      // Still in the synchronous handler: headers are copied only for a record that may be
      // served, the session only for a private one.
      const access = servable(video);
      if (access === 'no') return answerNow(res, kindOfAdmit, 404, notFound);
      const x = admit(res, kindOfAdmit);
      if (!x) return;
      const sid = access === 'owner' ? options.sessionIdFrom(req) : '';
      decide(x, video, sid, copyHeaders(req, head));
      return;
    }
    const x = admit(res, kindOfAdmit);
    if (!x) return;
    const sid = options.sessionIdFrom(req);
    const h = copyHeaders(req, head);
    records.getVideo(vid).then(
      (video) => {
        if (!x.open) return;
        decide(x, video, sid, h);
      },
      fail(ctx, x, vid),
    );
  };
}
