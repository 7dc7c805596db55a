/**
 * tus with BLOB_STORE=gridfs over loopback: uploads in progress live in MongoDB (MongoTusStore).
 * A PATCH cut mid-way keeps the bytes that arrived (less than one chunk here, so the partial
 * chunk was flushed) and HEAD reports exactly what is stored; bytes spanning several chunk
 * documents read back in order; completion and DELETE leave nothing of tus in MongoDB; a chunk
 * left by a write that died mid-way holds its offset (423 Locked, with Retry-After) until it is
 * older than TUS_LEASE_STALE_MS, then is replaced; an upload begun before the upgrade (the earlier
 * chunk ids `<id>/<offset>/<token>`) resumes and completes byte-exact.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Binary, type Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHUNK_BYTES, MongoTusStore } from '../../src/http/stream/tus/mongo-store.js';
import { useMongoTestDb } from '../helpers/mongo.js';
import { type Stack, startStack } from './stack.js';
import { tusCreate, tusCutPatch, tusHead, tusOffset, tusPatch } from './tus-client.js';

/** The longest stale window allowed: a loaded machine never ages a fresh leftover past it. */
const STALE_MS = 30_000;
const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));
const uri = useMongoTestDb('tusgridfs');
let s: Stack;
let client: MongoClient;
let db: Db;
let sample: Buffer;

beforeAll(async () => {
  s = await startStack({
    mongodbUri: uri,
    blobStore: 'gridfs',
    config: { tusLeaseStaleMs: STALE_MS },
  });
  client = new MongoClient(uri);
  await client.connect();
  db = client.db();
  sample = await readFile(SAMPLE);
});
afterAll(async () => {
  await client?.close();
  await s?.close();
});

async function owned() {
  const u = await s.user();
  return { ...u, vid: await s.video(u.userId) };
}

async function tusDocs(): Promise<number> {
  return (
    (await db.collection('tus.uploads').countDocuments()) +
    (await db.collection('tus.chunks').countDocuments())
  );
}

async function readBack(id: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of new MongoTusStore(db).read(id)) parts.push(b);
  return Buffer.concat(parts);
}

it('keeps what arrived of a cut PATCH, resumes from HEAD and leaves nothing once complete', async () => {
  const { vid, sessionId } = await owned();
  const loc = (await tusCreate(s.url, sessionId, sample.length, vid)).headers.location as string;
  const sent = 100_000;
  expect(sent).toBeLessThan(CHUNK_BYTES);
  const offset = await tusCutPatch(s.url, sessionId, loc, sample.subarray(0, sent), sample.length);
  expect(offset).toBeLessThanOrEqual(sent);
  // HEAD's offset is exactly what MongoDB holds: the sample's first bytes.
  expect((await readBack(loc.split('/').pop() as string)).equals(sample.subarray(0, offset))).toBe(
    true,
  );
  const rest = sample.subarray(offset);
  const r = await tusPatch(s.url, sessionId, loc, offset, rest, rest.length);
  expect(r.status, r.body).toBe(204);
  const v = await fetch(`${s.url}/videos/${vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  expect(await tusDocs()).toBe(0);
});

it('reads bytes spanning several chunk documents back in order; DELETE removes them all', async () => {
  const { vid, sessionId } = await owned();
  const body = randomBytes(2 * CHUNK_BYTES + 12_345);
  const loc = (await tusCreate(s.url, sessionId, body.length + 10, vid)).headers.location as string;
  const id = loc.split('/').pop() as string;
  const a = await tusPatch(s.url, sessionId, loc, 0, body.subarray(0, 700_000), 700_000);
  expect(a.status, a.body).toBe(204);
  const b = await tusPatch(
    s.url,
    sessionId,
    loc,
    700_000,
    body.subarray(700_000),
    body.length - 700_000,
  );
  expect(b.status, b.body).toBe(204);
  expect(await tusOffset(s.url, sessionId, loc)).toBe(body.length);
  expect((await readBack(id)).equals(body)).toBe(true);
  expect(await db.collection('tus.chunks').countDocuments()).toBeGreaterThan(2);
  const del = await fetch(`${s.url}${loc}`, {
    method: 'DELETE',
    headers: { 'tus-resumable': '1.0.0', 'x-session-id': sessionId },
  });
  expect(del.status).toBe(204);
  expect((await tusHead(s.url, sessionId, loc)).status).toBe(404);
  expect(await tusDocs()).toBe(0);
});

it('a chunk left by a write that died before its update: 423 while fresh, taken over once stale', async () => {
  const { vid, sessionId } = await owned();
  const loc = (await tusCreate(s.url, sessionId, sample.length, vid)).headers.location as string;
  const id = loc.split('/').pop() as string;
  // What a write that died between its chunk insert and its offset update leaves behind.
  const leftover = {
    _id: `${id}/${'0'.repeat(16)}`,
    data: new Binary(Buffer.from('not the video')),
    token: 'dead-writer',
    at: new Date(),
  };
  const chunks = db.collection<typeof leftover>('tus.chunks');
  await chunks.insertOne(leftover);
  const first = await tusPatch(s.url, sessionId, loc, 0, sample, sample.length);
  expect(first.status, first.body).toBe(423);
  const wait = Number(first.headers['retry-after']);
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(STALE_MS / 1000);
  expect(await tusOffset(s.url, sessionId, loc)).toBe(0);
  // The same leftover, older than TUS_LEASE_STALE_MS: the next write removes it and goes on.
  await chunks.updateOne(
    { _id: leftover._id },
    { $set: { at: new Date(Date.now() - STALE_MS - 1000) } },
  );
  const again = await tusPatch(s.url, sessionId, loc, 0, sample, sample.length);
  expect(again.status, again.body).toBe(204);
  const v = await fetch(`${s.url}/videos/${vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  expect(await tusDocs()).toBe(0);
});

it('an upload begun before the upgrade (chunk ids <id>/<offset>/<token>) resumes whole', async () => {
  const { vid, sessionId } = await owned();
  const loc = (await tusCreate(s.url, sessionId, sample.length, vid)).headers.location as string;
  const id = loc.split('/').pop() as string;
  // What the earlier release stored for the first 100,000 bytes: two chunks whose ids carry the
  // writer's token, no `token`/`at` fields, and the upload document listing them.
  const old = [
    [0, 60_000],
    [60_000, 100_000],
  ].map(([from, to]) => ({
    _id: `${id}/${String(from).padStart(16, '0')}/${randomBytes(6).toString('hex')}`,
    data: new Binary(sample.subarray(from, to)),
  }));
  await db.collection<{ _id: string }>('tus.chunks').insertMany(old);
  await db
    .collection<{ _id: string }>('tus.uploads')
    .updateOne({ _id: id }, { $set: { offset: 100_000, chunks: old.map((c) => c._id) } });
  expect(await tusOffset(s.url, sessionId, loc)).toBe(100_000);
  const rest = sample.subarray(100_000);
  const done = await tusPatch(s.url, sessionId, loc, 100_000, rest, rest.length);
  expect(done.status, done.body).toBe(204);
  const v = await fetch(`${s.url}/videos/${vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  expect(await tusDocs()).toBe(0); // old-format chunks are removed with the upload too
});
