/**
 * The upload lease on S3 (src/http/stream/tus/s3-lock.ts) when the network between a node and S3
 * fails, against the dev SeaweedFS server reached through a loopback relay the test can break or
 * hold requests in (test/helpers/tcp-fault.ts):
 * - S3 unreachable mid-PATCH (the link to it reset): the writer's refreshes fail, and it stops
 *   with 503 before its lease could be seen stale, having committed only the part S3
 *   acknowledged; once S3 is back the upload resumes from there byte-exact;
 * - the link cut while the first part is on its way (held on the wire, then reset): the part
 *   upload fails with a network error, and the PATCH answers 503 (it was 500), so the client
 *   resumes;
 * - the lease taken over while the first part is on its way to S3 (held on the wire): the write
 *   cancels that part upload and answers 409; no part lands, and the upload resumes from 0;
 * - a lease released between a PATCH's refused create and its inspection (the HEAD held on the
 *   wire meanwhile): the PATCH creates the lease again and completes.
 */
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type FaultyLink, faultyLink, heldBefore } from '../helpers/tcp-fault.js';
import { type DevS3, startDevS3 } from '../setup/s3-dev-server.js';
import { type Stack, startS3Stack } from './stack.js';
import { tusHead, tusOffset, tusOpenPatch, tusPatch } from './tus-client.js';
import { s3LeaseKit } from './tus-s3-lease.js';

const bucket = `tusleaselink-${randomBytes(4).toString('hex')}`;
let s3: DevS3;
let link: FaultyLink;
/** A stack that reaches S3 through a link the test can break. */
let relayed: Stack;
let kit: ReturnType<typeof s3LeaseKit>;

beforeAll(async () => {
  s3 = await startDevS3();
  kit = s3LeaseKit(s3, bucket);
  link = await faultyLink('127.0.0.1', Number(new URL(s3.endpoint).port), 'raw');
  relayed = await startS3Stack({ ...s3, endpoint: `http://${link.host}` }, bucket, {
    tusLeaseRefreshMs: 2000,
    tusLeaseStaleMs: 15_000,
  });
}, 600_000);
afterAll(async () => {
  link?.up();
  await relayed?.close();
  await link?.close();
  await s3?.stop();
});

it('S3 unreachable mid-PATCH: the writer stops with 503 at what S3 holds, then resumes whole', async () => {
  const part = 8 * 1024 * 1024; // s3-store.ts's part size
  const u = await kit.upload(relayed, part + 1024 * 1024);
  const w = tusOpenPatch(relayed.url, u.sessionId, u.loc, 0, u.video.length);
  const sent = part + 200_000;
  await w.send(u.video.subarray(0, sent));
  // The first part is in S3 (uploaded asynchronously: wait for it); the rest is in flight.
  await vi.waitFor(
    async () => {
      const parts = await s3
        .client()
        .send(
          new ListPartsCommand({ Bucket: bucket, Key: u.id, UploadId: await kit.uploadIdOf(u.id) }),
        );
      expect(parts.Parts?.map((p) => p.Size)).toEqual([part]);
    },
    { timeout: 60_000, interval: 200 },
  );
  link.down();
  const stopped = (await w.trickle(u.video, sent)).answer;
  // Asked meanwhile, HEAD says 503 too: a 404 would make the client start the upload over.
  expect((await tusHead(relayed.url, u.sessionId, u.loc)).status).toBe(503);
  link.up();
  expect(stopped.status, stopped.body).toBe(503);
  expect(JSON.parse(stopped.body)).toMatchObject({ error_code: '011' });
  // Only what S3 acknowledged under the lease counts; the client resumes from there.
  expect(await tusOffset(relayed.url, u.sessionId, u.loc)).toBe(part);
  await kit.completes(u, relayed);
}, 240_000);

/**
 * A PATCH of an upload a part and a bit long, its first part (s3-store.ts's 8 MiB) sent to S3
 * and held on the wire, not yet seen by S3; `sent` bytes of the body are sent so far.
 */
async function partOneHeld() {
  const part = 8 * 1024 * 1024;
  const u = await kit.upload(relayed, part + 1024 * 1024);
  const partOne = link.holdNext((m) => {
    const head = m.toString('latin1', 0, 400);
    return head.startsWith(`PUT /${bucket}/${u.id}?`) && /[?&]partNumber=1[& ]/.test(head);
  });
  const w = tusOpenPatch(relayed.url, u.sessionId, u.loc, 0, u.video.length);
  const sent = part + 200_000;
  await w.send(u.video.subarray(0, sent));
  await heldBefore(partOne.held, w.reply);
  return { u, w, partOne, sent };
}

it('the link cut while a part is on its way to S3: 503 (not 500), then the upload resumes', async () => {
  const { u, w, sent } = await partOneHeld();
  link.down(); // its connection reset: the part upload fails with a network error
  const { answer } = await w.trickle(u.video, sent);
  link.up();
  expect(answer.status, answer.body).toBe(503);
  expect(JSON.parse(answer.body)).toMatchObject({ error_code: '011' });
  expect(await tusOffset(relayed.url, u.sessionId, u.loc)).toBe(0);
  // The lease the cut write could not release, gone as after its stale window; then it resumes.
  await s3.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: `${u.id}.lock` }));
  await kit.completes(u, relayed);
}, 240_000);

it('the lease taken while a part is on its way to S3: that part is cancelled, none of it lands', async () => {
  const { u, w, partOne, sent } = await partOneHeld();
  // Another write took the lease over (as after a stale window): the next refresh finds out.
  await s3.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: `${u.id}.lock` }));
  const answered = w.trickle(u.video, sent);
  answered.catch(() => {}); // awaited below, unless the wait fails first
  // The writer cancels the part upload (closes its connection) once it finds the lease lost;
  // only then does the relay let the part go on: a part request still open would land now.
  let cancelled = false;
  void partOne.dropped.then(() => {
    cancelled = true;
  });
  await vi.waitFor(() => expect(cancelled).toBe(true), { timeout: 60_000, interval: 100 });
  partOne.release();
  const { answer } = await answered;
  expect(answer.status, answer.body).toBe(409);
  const parts = await s3
    .client()
    .send(
      new ListPartsCommand({ Bucket: bucket, Key: u.id, UploadId: await kit.uploadIdOf(u.id) }),
    );
  expect(parts.Parts ?? []).toEqual([]);
  expect(await tusOffset(relayed.url, u.sessionId, u.loc)).toBe(0);
  await kit.completes(u, relayed);
}, 240_000);

it('a lease released between the refused create and its inspection: the create is retried', async () => {
  const u = await kit.upload(relayed);
  await kit.deadLease(u.id); // a live writer's, as far as anyone can tell
  const inspect = link.holdNext((m) => m.includes(`HEAD /${bucket}/${u.id}.lock `));
  const patch = tusPatch(relayed.url, u.sessionId, u.loc, 0, u.video, u.video.length);
  await inspect.held; // the create found the lease (412); its HEAD is on the way
  // That writer ends and releases its lease before the HEAD reaches S3.
  await s3.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: `${u.id}.lock` }));
  inspect.release();
  const r = await patch;
  expect(r.status, r.body).toBe(204);
  const v = await fetch(`${relayed.url}/videos/${u.vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(u.video)).toBe(true);
  expect(await kit.leaseGone(u.id)).toBe(true);
}, 120_000);
