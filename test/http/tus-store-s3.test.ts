/**
 * The tus store case (tus-store.case.ts) on S3: the dev SeaweedFS server with signed requests;
 * the tus store reads the key from the standard AWS variables. One bucket for the file (the dev
 * server has room for few collections); each test leaves it without tus objects.
 */
import { randomBytes } from 'node:crypto';
import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { afterAll } from 'vitest';
import { type DevS3, startDevS3 } from '../setup/s3-dev-server.js';
import { startS3Stack } from './stack.js';
import { describeTusActiveExpiry, describeTusResume } from './tus-resume.case.js';
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
