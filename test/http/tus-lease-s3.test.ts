/**
 * The upload lease on S3 (src/http/stream/tus/s3-lock.ts), against the dev SeaweedFS server
 * (the network faults between a node and S3 are tus-lease-s3-link.test.ts'):
 * - a dead writer's lease (an object nobody refreshes) answers 423 with Retry-After while fresh;
 *   a client retrying as tus-js-client does completes the upload once it is stale;
 * - 30 takers of one stale lease at once (store instances: threads or nodes): exactly one holds
 *   it, the others get 423 (the takeover is a DeleteObject conditioned on the stale ETag);
 * - ages are S3's clock against S3's clock: with this node's clock 2 minutes ahead a fresh lease
 *   is still fresh (423), and with it 2 minutes behind a stale one is still taken over;
 * - the lease object replaced under a live PATCH by another write's (another token: its ETag
 *   changed, so the refresh's conditional put gets 412): the writer stops with 409 at once (not
 *   503 once its window ran out), its release leaves the other lease alone, and the upload
 *   resumes whole.
 */
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { tusUploadStore } from '../../src/http/stream/tus/index.js';
import { type DevS3, startDevS3 } from '../setup/s3-dev-server.js';
import { type Stack, startS3Stack } from './stack.js';
import { tusOpenPatch, tusPatch } from './tus-client.js';
import { s3LeaseKit } from './tus-s3-lease.js';
import { exactlyOneTaker } from './tus-takers.js';

// Stale after 20 s: long enough that a loaded machine never ages a fresh lease past it by chance.
const LEASE = { tusLeaseRefreshMs: 2000, tusLeaseStaleMs: 20_000 };
const bucket = `tuslease-${randomBytes(4).toString('hex')}`;
let s3: DevS3;
let s: Stack;
let kit: ReturnType<typeof s3LeaseKit>;

beforeAll(async () => {
  s3 = await startDevS3();
  kit = s3LeaseKit(s3, bucket);
  s = await startS3Stack(s3, bucket, LEASE);
}, 600_000);
afterAll(async () => {
  await s?.close();
  await s3?.stop();
});
afterEach(() => {
  vi.useRealTimers();
});

it("a dead writer's lease: 423 + Retry-After while fresh, the resume completes once stale", async () => {
  const u = await kit.upload(s);
  await kit.deadLease(u.id);
  const held = await tusPatch(s.url, u.sessionId, u.loc, 0, u.video, u.video.length);
  expect(held.status, held.body).toBe(423);
  const wait = Number(held.headers['retry-after']);
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(LEASE.tusLeaseStaleMs / 1000 + 1);
  await kit.completes(u, s);
}, 180_000);

it('30 takers of one stale lease at once: exactly one holds it, the others get 423', async () => {
  const u = await kit.upload(s);
  await kit.deadLease(u.id);
  await vi.waitFor(
    async () => expect(await kit.s3Age(u.id)).toBeGreaterThan(LEASE.tusLeaseStaleMs + 1000),
    {
      timeout: 60_000,
      interval: 250,
    },
  );
  const takers = Array.from({ length: 30 }, () => tusUploadStore(s.ctx.config, s.ctx.blobs));
  // Starts spread over a few S3 round trips.
  await exactlyOneTaker(takers, u.id, (i) => new Promise((r) => setTimeout(r, 2 + (i % 5) * 3)));
  await kit.completes(u, s);
}, 240_000);

it("this node's clock 2 minutes ahead: a fresh lease is still fresh", async () => {
  const u = await kit.upload(s);
  await kit.deadLease(u.id);
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 120_000, shouldAdvanceTime: true });
  const held = await tusPatch(s.url, u.sessionId, u.loc, 0, u.video, u.video.length);
  expect(held.status, held.body).toBe(423);
  vi.useRealTimers();
  await kit.completes(u, s);
}, 180_000);

it("this node's clock 2 minutes behind: a stale lease is still taken over", async () => {
  const u = await kit.upload(s);
  await kit.deadLease(u.id);
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 120_000, shouldAdvanceTime: true });
  await kit.completes(u, s);
}, 180_000);

it("the lease replaced by another write's under a live PATCH: 409 at its next refresh", async () => {
  const u = await kit.upload(s, 1_000_000);
  const first = 100_000;
  const w = tusOpenPatch(s.url, u.sessionId, u.loc, 0, u.video.length);
  await w.send(u.video.subarray(0, first));
  // The writer holds its lease (it takes it before reading the body).
  await vi.waitFor(async () => expect(await kit.leaseGone(u.id)).toBe(false), {
    timeout: 60_000,
    interval: 100,
  });
  // Another write's lease in its place (a takeover and that taker's create): a new ETag.
  await kit.deadLease(u.id);
  const theirs = await kit.leaseBody(u.id);
  const { answer } = await w.trickle(u.video, first);
  expect(answer.status, answer.body).toBe(409);
  expect(JSON.parse(answer.body)).toMatchObject({ error_code: '007' });
  // The stopped writer's release (conditioned on its own ETag) left the other lease as it was.
  expect(await kit.leaseBody(u.id)).toBe(theirs);
  await s3.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: `${u.id}.lock` }));
  await kit.completes(u, s);
}, 180_000);
