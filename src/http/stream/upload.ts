/**
 * `POST /upload/:vid`: a multipart form (field `file`, the seed's form) or a raw `video/*` body,
 * streamed into the blob store with backpressure and made visible only when complete.
 *
 * Flow: token (429) → UUID (400) → declared length over the cap (413) → media type (415) →
 * session (401) → record exists and active (404) → owner (403) → the owner's quota (413 "013")
 * → body → sniff (415) → cap / quota (413) → disk full (507) → commit → 201 "Uploaded
 * successfully".
 *
 * uWS drops body bytes that arrive with no onData handler, so onData is registered and the socket
 * paused in the synchronous handler; the few bytes already read while the session is checked are
 * copied aside and replayed. After that `x.pause()`/`resume()` follow the sink's backpressure;
 * every answer resumes a paused socket first (Exchange.send), so the next request on a keep-alive
 * connection is read at once (a small upload delivered in one packet used to leave it paused).
 */

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { sharedMediaProber } from '../../media/index.js';
import { threadMetrics } from '../../metrics/registry.js';
import { HttpError } from '../common/errors.js';
import { parseUuid } from '../common/ids.js';
import type { Exchange } from '../common/respond.js';
import { sessionFrom } from '../common/session.js';
import { httpErrorFromStore } from '../common/store-errors.js';
import { usageOf } from '../common/usage.js';
import { activeVideoOr404, findActiveVideo } from '../common/video.js';
import type { ServiceContext } from '../context.js';
import { admitter } from './admit.js';
import type { StreamRouteOptions } from './options.js';
import { UploadMedia } from './upload-media.js';
import { type Feed, multipartFeed } from './upload-multipart.js';
import { UploadSink } from './upload-sink.js';

/** Room for multipart boundaries and part headers on top of the file cap. */
const MULTIPART_SLACK = 64 * 1024;

/** Session, record and owner checks; resolves with what the owner may still store. */
async function authorize(ctx: ServiceContext, vid: string, sid: string): Promise<number> {
  const session = await sessionFrom(ctx, sid);
  if (!session) throw new HttpError('unauthorized');
  const video = await activeVideoOr404(ctx.records, vid);
  if (video.authorId !== session.userId)
    throw new HttpError('forbidden', 'Not the owner of this video');
  // A re-upload replaces this video's bytes: they do not count against the new ones.
  return ctx.config.userQuotaBytes - (await usageOf(ctx.records, ctx.blobs, session.userId, vid));
}

/** A feed for a raw body: every byte is the file. */
function rawFeed(x: Exchange, sink: UploadSink, finish: () => void): Feed {
  return (chunk, isLast) => {
    if (chunk.length > 0 && !sink.push(chunk) && !isLast) {
      x.pause();
      sink.onDrain(() => x.resume());
    }
    if (isLast) finish();
  };
}

export function uploadHandler(
  ctx: ServiceContext,
  options: StreamRouteOptions,
): (res: HttpResponse, req: HttpRequest) => void {
  const max = ctx.config.maxUploadBytes;
  const admit = admitter(ctx, options);
  return (res, req) => {
    const rawId = req.getParameter(options.idParameter);
    const sid = options.sessionIdFrom(req);
    const contentType = req.getHeader('content-type');
    const declared = Number(req.getHeader('content-length') || Number.NaN);
    const x = admit(res, 'upload');
    if (!x) return;
    const fail = (err: unknown) => x.error(err, undefined, true);

    // Before any answer: uWS wants a data handler; hold the body until the session is checked.
    let feed: Feed | undefined;
    const early: Array<[Buffer, boolean]> = [];
    res.onData((ab, isLast) => {
      if (!x.open) return;
      const chunk = Buffer.from(new Uint8Array(ab)); // copy: uWS neuters ab on return
      if (!isLast) x.bodyProgress(); // a slow client is not idle while its bytes arrive
      if (feed) feed(chunk, isLast);
      else early.push([chunk, isLast]);
    });
    x.pause();

    const vid = parseUuid(rawId);
    if (!vid) return void fail(new HttpError('badRequest', 'Invalid video id'));
    const multipart = /^multipart\/form-data\s*;/i.test(contentType);
    const raw = /^(video\/[\w.+-]+|application\/octet-stream)\s*(;|$)/i.test(contentType);
    if (!multipart && !raw) {
      return void fail(new HttpError('unsupportedMedia', 'Send multipart/form-data or video/*'));
    }
    if (declared > max + (multipart ? MULTIPART_SLACK : 0)) {
      return void fail(new HttpError('tooLarge', 'File is too big'));
    }

    const sink = new UploadSink(ctx.blobs, vid, max);
    sink.onFail(fail);
    let stored = false;
    const media = new UploadMedia(ctx, vid, options.media ?? sharedMediaProber());
    sink.beforeCommit((staged) => media.beforeCommit(staged));
    x.onClose((aborted) => {
      if (aborted) void sink.abort();
      if (!stored) threadMetrics().uploadFailures.inc();
    });
    // The video may be deleted while its bytes arrive: checked before the commit (nothing is
    // written) and after it (the new file is removed), so a deleted video never keeps a blob.
    const stillWanted = async () => (await findActiveVideo(ctx.records, vid)) !== undefined;
    const finish = () => {
      sink
        .finish(stillWanted)
        .then(async (info) => {
          await media.afterCommit();
          return info;
        })
        .then(
          (info) => {
            stored = true;
            threadMetrics().uploadBytes.inc(info.size);
            x.text(201, 'Uploaded successfully');
          },
          (err: unknown) => {
            if (err instanceof HttpError && err.status >= 500)
              ctx.log.error('upload failed', { vid, err: err.cause ?? err });
            fail(err);
          },
        );
    };

    authorize(ctx, vid, sid).then(
      (quotaLeft) => {
        if (!x.open) return;
        // A raw body's declared length is the file: refuse at once rather than after writing.
        if (!multipart && declared > quotaLeft) return void fail(new HttpError('quotaExceeded'));
        sink.setQuotaLeft(quotaLeft);
        if (!x.open) return;
        feed = multipart ? multipartFeed(x, sink, contentType, finish) : rawFeed(x, sink, finish);
        for (const [chunk, isLast] of early.splice(0)) feed(chunk, isLast);
        x.resume();
      },
      (err: unknown) => {
        if (!(err instanceof HttpError)) ctx.log.error('upload auth failed', { vid, err });
        fail(httpErrorFromStore(err));
      },
    );
  };
}
