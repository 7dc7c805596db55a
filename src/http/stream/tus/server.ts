/**
 * tus 1.0 resumable uploads at `/files/` (@tus/server 2.x), on the stream service and on the web
 * origin. Rules on top of the protocol:
 * - creation (POST) needs a live session (X-Session-Id; the web origin puts its cookie there) and
 *   `Upload-Metadata` `video_id` naming an active video record of that user (401/404/403), and an
 *   `Upload-Length` within MAX_UPLOAD_BYTES (413); the user id is recorded in the upload's
 *   metadata; a declared length beyond the owner's USER_QUOTA_BYTES is 413 too;
 * - every later request (HEAD for the offset, PATCH, DELETE) needs a session of that same user;
 *   anyone else gets 404, so upload ids cannot be probed;
 * - on completion the bytes become the video's blob (finish.ts); GET is not served (the video is
 *   at /videos/:vid once complete).
 * The data store is pluggable (`TusOptions.datastore`): files under DATA_DIR/tus by default, any
 * @tus DataStore (S3Store, MongoTusStore) where configured.
 */
import { join } from 'node:path';
import { Server } from '@tus/server';
import type { DataStore, Upload } from '@tus/utils';
import type { Config } from '../../../config.js';
import { type MediaProber, sharedMediaProber } from '../../../media/index.js';
import { isStoreError } from '../../../store/errors.js';
import { type BlobStore, GridFsBlobStore } from '../../../store/index.js';
import { HttpError } from '../../common/errors.js';
import { parseUuid } from '../../common/ids.js';
import { sessionFrom } from '../../common/session.js';
import { httpErrorFromStore } from '../../common/store-errors.js';
import { usageOf } from '../../common/usage.js';
import { findActiveVideo } from '../../common/video.js';
import type { ServiceContext } from '../../context.js';
import { LockingFileStore } from './file-store.js';
import { finishTusUpload } from './finish.js';
import { MongoTusStore } from './mongo-store.js';
import { s3TusStore } from './s3-store.js';

export interface TusOptions {
  /**
   * Where uploads in progress live. @default the bucket (BLOB_STORE=s3), the MongoDB database
   * (BLOB_STORE=gridfs), else a FileStore in `<DATA_DIR>/tus`
   */
  datastore: DataStore | undefined;
  /** ffprobe/ffmpeg for the completed upload. @default sharedMediaProber() */
  media: MediaProber | undefined;
}

export const TUS_PATH = '/files';

/**
 * The upload store did not answer. Each store maps its own failures to ERR_STORE_UNAVAILABLE
 * (MongoTusStore through mongo-connect's mongoError, the S3 store through s3-common's s3Error).
 */
function unreachable(err: unknown): boolean {
  return isStoreError(err, 'ERR_STORE_UNAVAILABLE');
}

/** A store that reads an upload's metadata for less than `getUpload` (S3: one request of four). */
interface MetadataLookup {
  getUploadMetadata(id: string): Promise<Upload['metadata']>;
}

/** The metadata of upload `id` (whose it is): the cheap lookup where the store has one. */
function metadataOf(store: DataStore, id: string): Promise<Upload['metadata']> {
  const lookup = (store as Partial<MetadataLookup>).getUploadMetadata;
  return lookup ? lookup.call(store, id) : store.getUpload(id).then((u) => u.metadata);
}

/** A refusal in the shape @tus/server sends (our JSON error as the body). */
function refusal(err: HttpError): { status_code: number; body: string } {
  return { status_code: err.status, body: JSON.stringify(err.toJSON()) };
}

/**
 * The tus store of a configuration. Shared stores, so every node can resume an upload: in the
 * bucket (BLOB_STORE=s3, s3-store.ts) or in the GridFS database (BLOB_STORE=gridfs,
 * mongo-store.ts); files stay per node. Each expires uploads TUS_EXPIRY_MS after their last
 * write with 410 and implements `deleteExpired` (the scheduler's lifecycle sweep calls it). Each
 * locks an upload per write with a lease refreshed every
 * TUS_LEASE_REFRESH_MS and taken over after TUS_LEASE_STALE_MS (lease.ts); a write that finds it
 * held answers 423 with Retry-After (routes.ts).
 */
export function tusUploadStore(
  config: Config,
  blobs: BlobStore,
): DataStore & { deleteExpired(): Promise<number> } {
  const expiryMs = config.tusExpiryMs;
  const lease = { refreshMs: config.tusLeaseRefreshMs, staleMs: config.tusLeaseStaleMs };
  if (config.blobStore === 's3') return s3TusStore(config);
  if (blobs instanceof GridFsBlobStore)
    return new MongoTusStore(blobs.db, { expiryMs, staleMs: lease.staleMs });
  return new LockingFileStore({
    directory: join(config.dataDir, 'tus'),
    expirationPeriodInMilliseconds: expiryMs,
    lease,
  });
}

export function defaultTusStore(ctx: ServiceContext): DataStore {
  return tusUploadStore(ctx.config, ctx.blobs);
}

export function createTusServer(ctx: ServiceContext, options: Partial<TusOptions> = {}): Server {
  const datastore = options.datastore ?? defaultTusStore(ctx);
  const prober = options.media ?? sharedMediaProber();

  async function caller(req: Request) {
    const session = await sessionFrom(ctx, req.headers.get('x-session-id') ?? undefined);
    if (!session) throw refusal(new HttpError('unauthorized'));
    return session;
  }

  return new Server({
    path: TUS_PATH,
    datastore,
    relativeLocation: true,
    // Same-origin only: no Access-Control-Allow-Origin for anyone.
    allowedOrigins: [],
    maxSize: ctx.config.maxUploadBytes,
    async onUploadCreate(req, upload) {
      const session = await caller(req);
      const vid = parseUuid(upload.metadata?.video_id ?? '');
      if (!vid)
        throw refusal(new HttpError('badRequest', 'Upload-Metadata needs video_id (a UUID)'));
      const video = await findActiveVideo(ctx.records, vid);
      if (!video) throw refusal(new HttpError('notFound', 'Video not found'));
      if (video.authorId !== session.userId) {
        throw refusal(new HttpError('forbidden', 'Not the owner of this video'));
      }
      // The owner's storage quota, as for multipart uploads (a re-upload's old bytes excluded).
      const left =
        ctx.config.userQuotaBytes - (await usageOf(ctx.records, ctx.blobs, session.userId, vid));
      if (upload.size !== undefined && upload.size > left) {
        throw refusal(new HttpError('quotaExceeded'));
      }
      return { metadata: { ...upload.metadata, video_id: vid, user_id: session.userId } };
    },
    async onIncomingRequest(req, uploadId) {
      if (req.method === 'POST' || req.method === 'OPTIONS') return;
      const session = await caller(req);
      let metadata: Upload['metadata'];
      try {
        // The handler reads the upload itself next: here only whose it is.
        metadata = await metadataOf(datastore, uploadId);
      } catch (err) {
        // Not 404 when the store did not answer: told 404, tus-js-client starts the upload over.
        if (unreachable(err)) throw err;
        throw refusal(new HttpError('notFound', 'Upload not found'));
      }
      if (metadata?.user_id !== session.userId) {
        throw refusal(new HttpError('notFound', 'Upload not found'));
      }
    },
    async onUploadFinish(_req, upload) {
      const vid = parseUuid(upload.metadata?.video_id ?? '');
      if (!vid) throw refusal(new HttpError('badRequest', 'Upload without a video_id'));
      try {
        await finishTusUpload(ctx, datastore, prober, vid, upload);
      } catch (err) {
        const e = err instanceof HttpError ? err : new HttpError('internal');
        if (e.status >= 500) ctx.log.error('tus upload could not be stored', { vid, err });
        // A refused upload (415, 409 …) is complete, so nothing can resume it: free its bytes now
        // rather than at expiry. A server error keeps it (the same PATCH may finish it later).
        else await datastore.remove(upload.id).catch(() => {});
        throw refusal(e);
      }
      return {};
    },
    onResponseError(_req, err) {
      if (!(err instanceof Error) || 'status_code' in err) return undefined;
      ctx.log.error('tus request failed', { err });
      // A store that cannot be reached is 503 (the client retries and resumes), as elsewhere.
      return refusal(httpErrorFromStore(err));
    },
  });
}
