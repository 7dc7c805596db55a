/**
 * The tus store case (tus-store.case.ts) on S3: the dev SeaweedFS server with signed requests;
 * the tus store reads the key from the standard AWS variables. One bucket for the file (the dev
 * server has room for few collections); each test leaves it without tus objects.
 * Plus S3's expiry sweep: one pass removes more expired uploads than one listing page holds (the
 * pages followed by their markers), and never a video blob's multipart upload (under `videos/`).
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { Upload } from '@tus/utils';
import { afterAll, expect, it, vi } from 'vitest';
import { tusUploadStore } from '../../src/http/stream/tus/index.js';
import { type DevS3, startDevS3 } from '../setup/s3-dev-server.js';
import { startS3Stack } from './stack.js';
import { describeTusActiveExpiry } from './tus-expiry.case.js';
import { describeTusResume } from './tus-resume.case.js';
import { describeTusStore, type TusStoreTarget } from './tus-store.case.js';

let s3: DevS3 | undefined;
afterAll(() => s3?.stop());
const bucket = `tus-${randomBytes(4).toString('hex')}`;

const target: TusStoreTarget = {
  async start(config) {
    s3 ??= await startDevS3();
    return startS3Stack(s3, bucket, config);
  },
  /** Multipart uploads and objects outside videos/ (tus keeps `<id>`, `.info`, `.part` at the root). */
  async stored(s) {
    const admin = s3!.client();
    const Bucket = s.ctx.config.s3Bucket;
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket }));
    const objects = await admin.send(new ListObjectsV2Command({ Bucket }));
    return [
      ...(uploads.Uploads ?? []).map((u) => `upload:${u.Key}`),
      ...(objects.Contents ?? []).map((o) => o.Key ?? '').filter((k) => !k.startsWith('videos/')),
    ].sort();
  },
};

describeTusStore('s3 (SeaweedFS)', target);
describeTusResume('s3 (SeaweedFS)', {
  ...target,
  leased: true,
  leaseHeld: (s, id) =>
    s3!
      .client()
      .send(new HeadObjectCommand({ Bucket: s.ctx.config.s3Bucket, Key: `${id}.lock` }))
      .then(
        () => true,
        () => false,
      ),
});
describeTusActiveExpiry('s3 (SeaweedFS)', { ...target, leased: true });

it('one expiry pass over several listing pages removes every expired upload, no video upload', async () => {
  const s = await target.start({ tusExpiryMs: 1000 });
  try {
    const admin = s3!.client();
    const Bucket = s.ctx.config.s3Bucket;
    // A video blob's multipart upload in progress: old enough, but never a tus upload.
    const video = `videos/${randomBytes(16).toString('hex')}`;
    const { UploadId } = await admin.send(new CreateMultipartUploadCommand({ Bucket, Key: video }));
    const store = tusUploadStore(s.ctx.config, s.ctx.blobs) as ReturnType<typeof tusUploadStore> & {
      deleteExpired(pageSize?: number): Promise<number>;
    };
    for (let i = 0; i < 5; i++) {
      const id = randomBytes(16).toString('hex');
      await store.create(new Upload({ id, size: 300_000, offset: 0, metadata: {} }));
    }
    // Every upload older than the expiry by S3's clock (a bounded wait, then one pass).
    await vi.waitFor(
      async () => {
        const out = await admin.send(new ListMultipartUploadsCommand({ Bucket }));
        const newest = Math.max(...(out.Uploads ?? []).map((u) => u.Initiated?.getTime() ?? 0));
        expect(Date.now() - newest).toBeGreaterThan(2000);
      },
      { timeout: 30_000, interval: 250 },
    );
    expect(await store.deleteExpired(2)).toBe(5);
    expect(await target.stored(s)).toEqual([`upload:${video}`]);
    await admin.send(new AbortMultipartUploadCommand({ Bucket, Key: video, UploadId }));
  } finally {
    await s.close();
  }
}, 180_000);
