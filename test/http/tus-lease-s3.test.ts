/**
 * The upload lease on S3 (src/http/stream/tus/s3-lock.ts), against the dev SeaweedFS server:
 * - a dead writer's lease (an object nobody refreshes) answers 423 with Retry-After while fresh;
 *   a client retrying as tus-js-client does completes the upload once it is stale;
 * - 30 takers of one stale lease at once (store instances: threads or nodes): exactly one holds
 *   it, the others get 423 (the takeover is a DeleteObject conditioned on the stale ETag);
 * - ages are S3's clock against S3's clock: with this node's clock 2 minutes ahead a fresh lease
 *   is still fresh (423), and with it 2 minutes behind a stale one is still taken over;
 * - S3 unreachable mid-PATCH (the link to it reset, tcp-fault.ts): the writer's refreshes fail,
 *   and it stops with 503 before its lease could be seen stale, having committed only the part
 *   S3 acknowledged; once S3 is back the upload resumes from there byte-exact;
 * - the lease taken over while the first part is on its way to S3 (held on the wire): the write
 *   cancels that part upload and answers 409; no part lands, and the upload resumes from 0;
 * - a lease released between a PATCH's refused create and its inspection (the HEAD held on the
 *   wire meanwhile): the PATCH creates the lease again and completes;
 * - the lease object replaced under a live PATCH by another write's (another token: its ETag
 *   changed, so the refresh's conditional put gets 412): the writer stops with 409 at once (not
 *   503 once its window ran out), its release leaves the other lease alone, and the upload
 *   resumes whole.
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { tusUploadStore } from '../../src/http/stream/tus/index.js';
import { type FaultyLink, faultyLink } from '../helpers/tcp-fault.js';
import { type DevS3, startDevS3 } from '../setup/s3-dev-server.js';
import { fakeMp4, type Stack, startS3Stack } from './stack.js';
import {
  tusComplete,
  tusCreate,
  tusHead,
  tusOffset,
  tusOpenPatch,
  tusPatch,
} from './tus-client.js';
import { exactlyOneTaker } from './tus-takers.js';

// Stale after 20 s: long enough that a loaded machine never ages a fresh lease past it by chance.
const LEASE = { tusLeaseRefreshMs: 2000, tusLeaseStaleMs: 20_000 };
const bucket = `tuslease-${randomBytes(4).toString('hex')}`;
let s3: DevS3;
let s: Stack;

let link: FaultyLink;
/** A second stack on the same bucket that reaches S3 through a link the test can break. */
let relayed: Stack;

beforeAll(async () => {
  s3 = await startDevS3();
  s = await startS3Stack(s3, bucket, LEASE);
  link = await faultyLink('127.0.0.1', Number(new URL(s3.endpoint).port), 'raw');
  relayed = await startS3Stack({ ...s3, endpoint: `http://${link.host}` }, bucket, {
    tusLeaseRefreshMs: 2000,
    tusLeaseStaleMs: 15_000,
  });
}, 600_000);
afterAll(async () => {
  await relayed?.close();
  await link?.close();
  await s?.close();
  await s3?.stop();
});
afterEach(() => {
  vi.useRealTimers();
});

async function upload(size = 200_000, on = s) {
  const u = await on.user();
  const vid = await on.video(u.userId);
  const video = fakeMp4(size);
  const loc = (await tusCreate(on.url, u.sessionId, video.length, vid)).headers.location as string;
  return { ...u, vid, video, loc, id: loc.split('/').pop() as string };
}

/** What a writer that died leaves in the bucket: a lease object in s3-lock.ts's format. */
async function deadLease(id: string) {
  await s3.client().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `${id}.lock`,
      Body: `${randomBytes(12).toString('hex')}:0`,
    }),
  );
}

/** The lease's age by S3's clock (its LastModified against the answer's Date). */
async function s3Age(id: string): Promise<number> {
  const cmd = new HeadObjectCommand({ Bucket: bucket, Key: `${id}.lock` });
  let date = '';
  cmd.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      date = (out.response as { headers: Record<string, string> }).headers.date ?? '';
      return out;
    },
    { step: 'deserialize' },
  );
  const head = await s3.client().send(cmd);
  return Date.parse(date) - (head.LastModified?.getTime() ?? Number.NaN);
}

async function leaseGone(id: string) {
  return s3
    .client()
    .send(new HeadObjectCommand({ Bucket: bucket, Key: `${id}.lock` }))
    .then(
      () => false,
      () => true,
    );
}

/** Completes the upload as tus-js-client would (tusComplete), then checks what it stored. */
async function completes(u: Awaited<ReturnType<typeof upload>>, on = s) {
  await tusComplete(on.url, u.sessionId, u.loc, u.video);
  const v = await fetch(`${on.url}/videos/${u.vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(u.video)).toBe(true);
  expect(await leaseGone(u.id)).toBe(true);
}

it("a dead writer's lease: 423 + Retry-After while fresh, the resume completes once stale", async () => {
  const u = await upload();
  await deadLease(u.id);
  const held = await tusPatch(s.url, u.sessionId, u.loc, 0, u.video, u.video.length);
  expect(held.status, held.body).toBe(423);
  const wait = Number(held.headers['retry-after']);
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(LEASE.tusLeaseStaleMs / 1000 + 1);
  await completes(u);
}, 180_000);

it('30 takers of one stale lease at once: exactly one holds it, the others get 423', async () => {
  const u = await upload();
  await deadLease(u.id);
  await vi.waitFor(
    async () => expect(await s3Age(u.id)).toBeGreaterThan(LEASE.tusLeaseStaleMs + 1000),
    {
      timeout: 60_000,
      interval: 250,
    },
  );
  const takers = Array.from({ length: 30 }, () => tusUploadStore(s.ctx.config, s.ctx.blobs));
  // Starts spread over a few S3 round trips.
  await exactlyOneTaker(takers, u.id, (i) => new Promise((r) => setTimeout(r, 2 + (i % 5) * 3)));
  await completes(u);
}, 240_000);

it("this node's clock 2 minutes ahead: a fresh lease is still fresh", async () => {
  const u = await upload();
  await deadLease(u.id);
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 120_000, shouldAdvanceTime: true });
  const held = await tusPatch(s.url, u.sessionId, u.loc, 0, u.video, u.video.length);
  expect(held.status, held.body).toBe(423);
  vi.useRealTimers();
  await completes(u);
}, 180_000);

it("this node's clock 2 minutes behind: a stale lease is still taken over", async () => {
  const u = await upload();
  await deadLease(u.id);
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 120_000, shouldAdvanceTime: true });
  await completes(u);
}, 180_000);

it('S3 unreachable mid-PATCH: the writer stops with 503 at what S3 holds, then resumes whole', async () => {
  const part = 8 * 1024 * 1024; // s3-store.ts's part size
  const u = await upload(part + 1024 * 1024, relayed);
  const w = tusOpenPatch(relayed.url, u.sessionId, u.loc, 0, u.video.length);
  await w.send(u.video.subarray(0, part + 200_000));
  // The first part is in S3 (uploaded asynchronously: wait for it); the rest is in flight.
  await vi.waitFor(
    async () => {
      const parts = await s3
        .client()
        .send(
          new ListPartsCommand({ Bucket: bucket, Key: u.id, UploadId: await uploadIdOf(u.id) }),
        );
      expect(parts.Parts?.map((p) => p.Size)).toEqual([part]);
    },
    { timeout: 60_000, interval: 200 },
  );
  link.down();
  const stopped = (await w.trickle(u.video, part + 200_000)).answer;
  // Asked meanwhile, HEAD says 503 too: a 404 would make the client start the upload over.
  expect((await tusHead(relayed.url, u.sessionId, u.loc)).status).toBe(503);
  link.up();
  expect(stopped.status, stopped.body).toBe(503);
  expect(JSON.parse(stopped.body)).toMatchObject({ error_code: '011' });
  // Only what S3 acknowledged under the lease counts; the client resumes from there.
  expect(await tusOffset(relayed.url, u.sessionId, u.loc)).toBe(part);
  await completes(u, relayed);
}, 240_000);

it('the lease taken while a part is on its way to S3: that part is cancelled, none of it lands', async () => {
  const part = 8 * 1024 * 1024;
  const u = await upload(part + 1024 * 1024, relayed);
  const partOne = link.holdNext((m) => {
    const head = m.toString('latin1', 0, 400);
    return head.startsWith(`PUT /${bucket}/${u.id}?`) && /[?&]partNumber=1[& ]/.test(head);
  });
  const w = tusOpenPatch(relayed.url, u.sessionId, u.loc, 0, u.video.length);
  await w.send(u.video.subarray(0, part + 200_000));
  await partOne.held; // the first part is sent, S3 has not seen it
  // Another write took the lease over (as after a stale window): the next refresh finds out.
  await s3.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: `${u.id}.lock` }));
  const answered = w.trickle(u.video, part + 200_000);
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
    .send(new ListPartsCommand({ Bucket: bucket, Key: u.id, UploadId: await uploadIdOf(u.id) }));
  expect(parts.Parts ?? []).toEqual([]);
  expect(await tusOffset(relayed.url, u.sessionId, u.loc)).toBe(0);
  await completes(u, relayed);
}, 240_000);

it('a lease released between the refused create and its inspection: the create is retried', async () => {
  const u = await upload(200_000, relayed);
  await deadLease(u.id); // a live writer's, as far as anyone can tell
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
  expect(await leaseGone(u.id)).toBe(true);
}, 120_000);

it("the lease replaced by another write's under a live PATCH: 409 at its next refresh", async () => {
  const u = await upload(1_000_000);
  const first = 100_000;
  const w = tusOpenPatch(s.url, u.sessionId, u.loc, 0, u.video.length);
  await w.send(u.video.subarray(0, first));
  // The writer holds its lease (it takes it before reading the body).
  await vi.waitFor(async () => expect(await leaseGone(u.id)).toBe(false), {
    timeout: 60_000,
    interval: 100,
  });
  // Another write's lease in its place (a takeover and that taker's create): a new ETag.
  await deadLease(u.id);
  const theirs = await leaseBody(u.id);
  const { answer } = await w.trickle(u.video, first);
  expect(answer.status, answer.body).toBe(409);
  expect(JSON.parse(answer.body)).toMatchObject({ error_code: '007' });
  // The stopped writer's release (conditioned on its own ETag) left the other lease as it was.
  expect(await leaseBody(u.id)).toBe(theirs);
  await s3.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: `${u.id}.lock` }));
  await completes(u);
}, 180_000);

async function leaseBody(id: string): Promise<string> {
  const out = await s3.client().send(new GetObjectCommand({ Bucket: bucket, Key: `${id}.lock` }));
  return (await out.Body?.transformToString()) ?? '';
}

/** The multipart upload id @tus/s3-store recorded in the metadata of the upload's `.info`. */
async function uploadIdOf(id: string): Promise<string> {
  const info = await s3.client().send(new HeadObjectCommand({ Bucket: bucket, Key: `${id}.info` }));
  return info.Metadata?.['upload-id'] ?? '';
}
