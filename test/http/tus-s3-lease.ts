/**
 * What the S3 lease tests (tus-lease-s3*.test.ts) share, on one dev S3 server and bucket: an
 * upload to start, the lease object a dead writer leaves, the lease read back (its age by S3's
 * clock, its body, whether it is gone), and the resume that must complete the upload whole.
 */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { DevS3 } from '../setup/s3-dev-server.js';
import { fakeMp4, type Stack } from './stack.js';
import { tusComplete, tusCreate } from './tus-client.js';

/** An upload started by the kit: its owner, video, bytes, location and id. */
export interface S3Upload {
  userId: string;
  sessionId: string;
  vid: string;
  video: Buffer;
  loc: string;
  id: string;
}

export function s3LeaseKit(s3: DevS3, bucket: string) {
  const head = (Key: string) => new HeadObjectCommand({ Bucket: bucket, Key });
  const kit = {
    /** A user, a video of theirs and a tus upload of a fresh `size`-byte mp4 into it, on `on`. */
    async upload(on: Stack, size = 200_000): Promise<S3Upload> {
      const u = await on.user();
      const vid = await on.video(u.userId);
      const video = fakeMp4(size);
      const created = await tusCreate(on.url, u.sessionId, video.length, vid);
      const loc = created.headers.location as string;
      return { ...u, vid, video, loc, id: loc.split('/').pop() as string };
    },

    /** What a writer that died leaves in the bucket: a lease object in s3-lock.ts's format. */
    async deadLease(id: string) {
      await s3.client().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${id}.lock`,
          Body: `${randomBytes(12).toString('hex')}:0`,
        }),
      );
    },

    /** The lease's age by S3's clock (its LastModified against the answer's Date). */
    async s3Age(id: string): Promise<number> {
      const cmd = head(`${id}.lock`);
      let date = '';
      cmd.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args);
          date = (out.response as { headers: Record<string, string> }).headers.date ?? '';
          return out;
        },
        { step: 'deserialize' },
      );
      const out = await s3.client().send(cmd);
      return Date.parse(date) - (out.LastModified?.getTime() ?? Number.NaN);
    },

    leaseGone(id: string): Promise<boolean> {
      return s3
        .client()
        .send(head(`${id}.lock`))
        .then(
          () => false,
          () => true,
        );
    },

    async leaseBody(id: string): Promise<string> {
      const out = await s3
        .client()
        .send(new GetObjectCommand({ Bucket: bucket, Key: `${id}.lock` }));
      return (await out.Body?.transformToString()) ?? '';
    },

    /** The multipart upload id @tus/s3-store recorded in the metadata of the upload's `.info`. */
    async uploadIdOf(id: string): Promise<string> {
      const info = await s3.client().send(head(`${id}.info`));
      return info.Metadata?.['upload-id'] ?? '';
    },

    /** Completes the upload as tus-js-client would (tusComplete), then checks what it stored. */
    async completes(u: S3Upload, on: Stack) {
      await tusComplete(on.url, u.sessionId, u.loc, u.video);
      const v = await fetch(`${on.url}/videos/${u.vid}`);
      expect(Buffer.from(await v.arrayBuffer()).equals(u.video)).toBe(true);
      expect(await kit.leaseGone(u.id)).toBe(true);
    },
  };
  return kit;
}
