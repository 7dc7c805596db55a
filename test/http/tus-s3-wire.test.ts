/**
 * What the S3 tus store (src/http/stream/tus/s3-store.ts) asks S3, seen on the wire: a stack on
 * the dev SeaweedFS server reached through a loopback relay (test/helpers/tcp-fault.ts) that
 * shows the test every request, holds one, or cuts the link.
 * - a PATCH (and a HEAD) asks for the upload's last write (the HEAD of `<id>.active`) once: the
 *   caller's check reads only the `.info`, the write's offset check under the lease skips it;
 * - that offset check still tells an S3 that failed from an upload that is gone: the link cut
 *   while its read of `.info` is on the wire answers 503, not 404 (which would make the client
 *   start the upload over);
 * - a key S3 refuses (400: a NUL in it; @tus/server never passes one, the store still may be
 *   asked) is "no such upload", not "S3 failed";
 * - the expiry sweep whose abort of an upload finds it aborted meanwhile by another sweeper
 *   (that one died before its clean-up; the sweep's abort held on the wire meanwhile) still
 *   removes the upload's objects, and does not count it as its own;
 * - every PUT states its length, as AWS S3 requires (411 without; the dev server does not mind):
 *   Content-Length, or for the SDK's streamed bodies (aws-chunked, a trailing checksum)
 *   x-amz-decoded-content-length.
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@tus/utils';
import { afterAll, beforeAll, expect, it, onTestFinished, vi } from 'vitest';
import { tusUploadStore } from '../../src/http/stream/tus/index.js';
import { type FaultyLink, faultyLink, heldBefore } from '../helpers/tcp-fault.js';
import { type DevS3, startDevS3 } from '../setup/s3-dev-server.js';
import { fakeMp4, type Stack, startS3Stack } from './stack.js';
import { tusCreate, tusHead, tusOffset, tusPatch } from './tus-client.js';

const bucket = `tuswire-${randomBytes(4).toString('hex')}`;
let s3: DevS3;
let link: FaultyLink;
/** The stack under test: its S3 traffic goes through `link`. */
let s: Stack;

beforeAll(async () => {
  s3 = await startDevS3();
  link = await faultyLink('127.0.0.1', Number(new URL(s3.endpoint).port), 'raw');
  s = await startS3Stack({ ...s3, endpoint: `http://${link.host}` }, bucket, {
    tusLeaseRefreshMs: 2000,
    tusLeaseStaleMs: 20_000,
  });
}, 600_000);
afterAll(async () => {
  link?.up();
  await s?.close();
  await link?.close();
  await s3?.stop();
});

async function upload(size = 1_000_000) {
  const u = await s.user();
  const vid = await s.video(u.userId);
  const video = fakeMp4(size);
  const loc = (await tusCreate(s.url, u.sessionId, video.length, vid)).headers.location as string;
  return { ...u, vid, video, loc, id: loc.split('/').pop() as string };
}

/** How many requests whose first line matches `line` (a global regex) `run` sent to S3. */
async function sent(line: RegExp, run: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const stop = link.watch((m) => {
    n += m.toString('latin1').match(line)?.length ?? 0;
  });
  try {
    await run();
  } finally {
    stop();
  }
  return n;
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

it("a PATCH and a HEAD each ask for the upload's last write once", async () => {
  const u = await upload();
  const active = new RegExp(`^HEAD /${bucket}/${escaped(u.id)}\\.active[ ?]`, 'gm');
  const half = u.video.subarray(0, 300_000);
  let patched = 0;
  const patches = await sent(active, async () => {
    patched = (await tusPatch(s.url, u.sessionId, u.loc, 0, half, half.length)).status;
  });
  expect(patched).toBe(204);
  expect(patches).toBe(1);
  let headed = 0;
  const heads = await sent(active, async () => {
    headed = (await tusHead(s.url, u.sessionId, u.loc)).status;
  });
  expect(headed).toBe(200);
  expect(heads).toBe(1);
  expect(await tusOffset(s.url, u.sessionId, u.loc)).toBe(half.length);
}, 120_000);

it('an upload in two PATCHes (a short trailing part, then the rest): every PUT to S3 states its length', async () => {
  const u = await upload();
  const heads: string[] = [];
  const stop = link.watch((m) => {
    const text = m.toString('latin1');
    if (text.startsWith('PUT ')) heads.push(text.slice(0, text.indexOf('\r\n\r\n')));
  });
  try {
    const first = u.video.subarray(0, 300_000);
    expect((await tusPatch(s.url, u.sessionId, u.loc, 0, first, first.length)).status).toBe(204);
    const rest = u.video.subarray(first.length);
    expect(
      (await tusPatch(s.url, u.sessionId, u.loc, first.length, rest, rest.length)).status,
    ).toBe(204);
  } finally {
    stop();
  }
  const puts = (key: string) => heads.filter((h) => h.startsWith(`PUT /${bucket}/${u.id}${key}`));
  // The lease, the last-write marker and the trailing part were written, each with a length.
  for (const key of ['.lock', '.active', '.part']) expect(puts(key).length, key).toBeGreaterThan(0);
  for (const h of heads) {
    const length = /\r\n(content-length|x-amz-decoded-content-length): \d+(\r|$)/i;
    expect(h, h.split('\r\n')[0]).toMatch(length);
  }
}, 120_000);

it("S3 failing at the write's offset check under the lease: 503, not 404", async () => {
  const u = await upload();
  const info = new RegExp(`^GET /${bucket}/${escaped(u.id)}\\.info[ ?]`, 'm');
  const lock = new RegExp(`^PUT /${bucket}/${escaped(u.id)}\\.lock[ ?]`, 'm');
  // The first read of `.info` after the lease was taken is the write's offset check: armed
  // once the lease's PUT is seen.
  let arm!: (hold: ReturnType<FaultyLink['holdNext']>) => void;
  const armed = new Promise<ReturnType<FaultyLink['holdNext']>>((resolve) => {
    arm = resolve;
  });
  let seen = false;
  const stop = link.watch((m) => {
    if (!seen && lock.test(m.toString('latin1'))) {
      seen = true;
      arm(link.holdNext((next) => info.test(next.toString('latin1'))));
    }
  });
  try {
    const r = tusPatch(s.url, u.sessionId, u.loc, 0, u.video, u.video.length);
    // Both waits fail at once if the PATCH ends first (before its lease PUT, or its check).
    const check = await heldBefore(armed, r);
    await heldBefore(check.held, r);
    link.down();
    const refused = await r;
    expect(refused.status, refused.body).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error_code: '011' });
  } finally {
    stop();
    link.up();
  }
  // The lease the cut write could not release, gone as after its stale window; then it resumes.
  await s3.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: `${u.id}.lock` }));
  expect(await tusOffset(s.url, u.sessionId, u.loc)).toBe(0);
  const done = await tusPatch(s.url, u.sessionId, u.loc, 0, u.video, u.video.length);
  expect(done.status, done.body).toBe(204);
  const v = await fetch(`${s.url}/videos/${u.vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(u.video)).toBe(true);
}, 180_000);

it('a key S3 refuses (400) is no such upload, not a failing S3', async () => {
  const store = tusUploadStore(s.ctx.config, s.ctx.blobs);
  const id = 'refused\0key';
  // S3 itself answers 400 there (what the store's branch is for).
  const head = s3.client().send(new HeadObjectCommand({ Bucket: bucket, Key: `${id}.info` }));
  await expect(head).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  await expect(store.getUpload(id)).rejects.toMatchObject({ status_code: 404 });
  const meta = (store as unknown as { getUploadMetadata(id: string): Promise<unknown> })
    .getUploadMetadata;
  await expect(meta.call(store, id)).rejects.toMatchObject({ status_code: 404 });
});

it('the sweep finds an upload aborted meanwhile by another sweeper: cleaned up, not counted', async () => {
  const sweepBucket = `tussweep-${randomBytes(4).toString('hex')}`;
  const admin = s3.client();
  await admin.send(new CreateBucketCommand({ Bucket: sweepBucket }));
  onTestFinished(() => dropBucket(admin, sweepBucket));
  const config = { ...s.ctx.config, s3Bucket: sweepBucket, tusExpiryMs: 1000 };
  const store = tusUploadStore(config, s.ctx.blobs);
  // The store's own S3 client (@tus/s3-store keeps it protected; nothing else closes it).
  onTestFinished(() => (store as unknown as { client: S3Client }).client.destroy());
  const id = randomBytes(16).toString('hex');
  await store.create(new Upload({ id, size: 300_000, offset: 0, metadata: {} }));
  const listed = await admin.send(new ListMultipartUploadsCommand({ Bucket: sweepBucket }));
  const mine = listed.Uploads?.find((x) => x.Key === id);
  expect(mine?.UploadId).toBeDefined();
  // Older than the expiry (a bounded wait, then one pass).
  await vi.waitFor(
    () => expect(Date.now() - (mine?.Initiated?.getTime() ?? Date.now())).toBeGreaterThan(2000),
    { timeout: 30_000, interval: 250 },
  );
  const abort = new RegExp(`^DELETE /${sweepBucket}/${id}\\?[^ ]*uploadId=`, 'm');
  const held = link.holdNext((m) => abort.test(m.toString('latin1')));
  const sweep = store.deleteExpired();
  await heldBefore(held.held, sweep);
  // Another sweeper aborts it first and dies before deleting the objects beside it.
  await admin.send(
    new AbortMultipartUploadCommand({ Bucket: sweepBucket, Key: id, UploadId: mine?.UploadId }),
  );
  held.release();
  expect(await sweep).toBe(0);
  const left = await admin.send(new ListObjectsV2Command({ Bucket: sweepBucket }));
  expect((left.Contents ?? []).map((o) => o.Key)).toEqual([]);
}, 120_000);

/** Empties `bucket` (multipart uploads included) and deletes it: a test's own bucket, gone. */
async function dropBucket(admin: S3Client, bucket: string) {
  const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const up of uploads.Uploads ?? []) {
    await admin.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: up.Key, UploadId: up.UploadId }),
    );
  }
  for (;;) {
    const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((o) => o.Key);
    if (keys.length === 0) break;
    for (const Key of keys) await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  }
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
}
