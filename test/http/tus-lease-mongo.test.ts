/**
 * MongoTusStore's chunk claims (src/http/stream/tus/mongo-chunk.ts) when the network delays a
 * writer, against the dev MongoDB-wire server. Each store instance (a thread's or a node's)
 * reaches it through a loopback relay that holds a chosen command on the wire
 * (test/helpers/tcp-fault.ts) — a request sent but not yet seen by the server:
 * - a writer whose offset update is held until its claim went stale and another write took the
 *   offset over (its update held too): the update the server sees first moves the offset with its
 *   own bytes, the other finds nothing to move, drops its bytes and answers 409; the upload then
 *   completes byte-exact over HTTP (before the fix the late update listed the taker's bytes);
 * - the same with the taker's update first: the late writer drops its bytes and answers 409;
 * - two takers of one stale claim, the first one's take-over held until the second took it: the
 *   first gets 423, the second writes;
 * - a node cut off from MongoDB answers HEAD and PATCH with 503 (a 404 would make the client
 *   start over), and the upload completes once the link is back. The link goes down while the
 *   tus store's own command is on the wire (the session lookup before it passed), so the 503
 *   comes from MongoTusStore's mapping of the driver's failure: HEAD's upload lookup, PATCH's
 *   claim insert (claimOffset's insertOne on tus.chunks, the PATCH's first command there).
 *   The resume retries 409/423 as tus-js-client does, so a claim left held cannot fail it.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { claimId } from '../../src/http/stream/tus/mongo-chunk.js';
import { MongoTusStore } from '../../src/http/stream/tus/mongo-store.js';
import { useMongoTestDb } from '../helpers/mongo.js';
import { type FaultyLink, faultyLink, heldBefore, mongoCommand } from '../helpers/tcp-fault.js';
import { type Stack, startStack } from './stack.js';
import { tusComplete, tusCreate, tusHead, tusPatch } from './tus-client.js';

/** The longest stale window allowed: a loaded machine never ages a fresh claim past it. */
const STALE_MS = 30_000;
const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));
const FIRST = 100_000;
const uri = useMongoTestDb('tuslease');
let s: Stack;
let link: FaultyLink;
let db: Db;
let sample: Buffer;
const clients: MongoClient[] = [];

beforeAll(async () => {
  s = await startStack({
    mongodbUri: uri,
    blobStore: 'gridfs',
    config: { tusLeaseStaleMs: STALE_MS },
  });
  const direct = new MongoClient(uri);
  clients.push(direct);
  db = (await direct.connect()).db();
  const server = new URL(uri);
  link = await faultyLink(server.hostname, Number(server.port), 'mongo');
  sample = await readFile(SAMPLE);
});
afterAll(async () => {
  for (const c of clients) await c.close(true);
  await link?.close();
  await s?.close();
});

/** Holds the next `command` on `collection` the relay sees (the test then cuts the link). */
function cutAt(command: string, collection: string) {
  return link.holdNext((m) => mongoCommand(m) === command && m.includes(collection));
}

/** Waits until `node` reaches MongoDB again through the relay (a HEAD of `u` answers 200). */
async function reconnected(node: Stack, u: { sessionId: string; loc: string }) {
  await vi.waitFor(
    async () => expect((await tusHead(node.url, u.sessionId, u.loc)).status).toBe(200),
    { timeout: 60_000, interval: 250 },
  );
}

/** The test database, reached through the relay. */
function relayedUri(): URL {
  const via = new URL(uri);
  via.host = link.host;
  via.searchParams.set('directConnection', 'true');
  return via;
}

/** A store on its own connections through the relay: one thread's or node's. */
async function relayedStore(): Promise<MongoTusStore> {
  const client = new MongoClient(relayedUri().toString());
  clients.push(client);
  return new MongoTusStore((await client.connect()).db(), { staleMs: STALE_MS });
}

async function upload(on = s) {
  const u = await on.user();
  const vid = await on.video(u.userId);
  const loc = (await tusCreate(on.url, u.sessionId, sample.length, vid)).headers.location as string;
  return { ...u, vid, loc, id: loc.split('/').pop() as string };
}

const isUpdate = (m: Buffer) => mongoCommand(m) === 'update';
const outcome = (w: Promise<number>) =>
  w.then(
    (n) => n,
    (err: { status_code?: number }) => `refused ${err.status_code}`,
  );

/** What the upload holds, read back from MongoDB; and every stored byte document it does not list. */
async function stored(id: string) {
  const parts: Buffer[] = [];
  for await (const b of new MongoTusStore(db).read(id)) parts.push(b);
  const listed = (await db.collection('tus.uploads').findOne({ _id: id as never }))?.chunks;
  const unlisted = await db
    .collection('tus.chunks')
    .countDocuments({ _id: { $nin: listed, $regex: `^${id}/` } as never, data: { $exists: true } });
  return { bytes: Buffer.concat(parts), unlisted };
}

/** Makes the claim at offset 0 look TUS_LEASE_STALE_MS old: its writer stalled that long. */
async function ageClaim(id: string) {
  const past = new Date(Date.now() - STALE_MS - 1000);
  await db
    .collection('tus.chunks')
    .updateOne({ _id: claimId(id, 0) as never }, { $set: { at: past } });
}

it('a late update after a take-over: the first update seen wins with its own bytes, the other 409', async () => {
  const u = await upload();
  const [late, taker] = [await relayedStore(), await relayedStore()];
  const h1 = link.holdNext(isUpdate);
  const w1 = outcome(late.write(Readable.from([sample.subarray(0, FIRST)]), u.id, 0));
  await h1.held;
  await ageClaim(u.id);
  const h2 = link.holdNext(isUpdate);
  const w2 = outcome(taker.write(Readable.from([randomBytes(FIRST)]), u.id, 0));
  await h2.held; // the taker stored its bytes and sent its update
  h1.release();
  expect(await w1).toBe(FIRST);
  h2.release();
  expect(await w2).toBe('refused 409');
  const now = await stored(u.id);
  expect(now.bytes.equals(sample.subarray(0, FIRST))).toBe(true);
  expect(now.unlisted).toBe(0);
  const rest = sample.subarray(FIRST);
  const done = await tusPatch(s.url, u.sessionId, u.loc, FIRST, rest, rest.length);
  expect(done.status, done.body).toBe(204);
  const v = await fetch(`${s.url}/videos/${u.vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
}, 120_000);

it("a late update after the taker's: it matches nothing, drops its bytes and answers 409", async () => {
  const u = await upload();
  const [late, taker] = [await relayedStore(), await relayedStore()];
  const h1 = link.holdNext(isUpdate);
  const w1 = outcome(late.write(Readable.from([randomBytes(FIRST)]), u.id, 0));
  await h1.held;
  await ageClaim(u.id);
  expect(await taker.write(Readable.from([sample.subarray(0, FIRST)]), u.id, 0)).toBe(FIRST);
  h1.release();
  expect(await w1).toBe('refused 409');
  const now = await stored(u.id);
  expect(now.bytes.equals(sample.subarray(0, FIRST))).toBe(true);
  expect(now.unlisted).toBe(0);
}, 120_000);

it('two takers of one stale claim: the one held in its take-over gets 423, the other writes', async () => {
  const u = await upload();
  // What a writer that died before its update leaves: a claim nobody will follow up.
  await db
    .collection('tus.chunks')
    .insertOne({ _id: claimId(u.id, 0) as never, token: 'dead-writer', at: new Date() });
  await ageClaim(u.id);
  const [first, second] = [await relayedStore(), await relayedStore()];
  const held = link.holdNext((m) => mongoCommand(m) === 'delete');
  const w1 = outcome(first.write(Readable.from([randomBytes(FIRST)]), u.id, 0));
  await held.held; // the first taker saw the claim stale and sent its delete
  expect(await second.write(Readable.from([sample.subarray(0, FIRST)]), u.id, 0)).toBe(FIRST);
  held.release();
  expect(await w1).toBe('refused 423');
  expect((await stored(u.id)).bytes.equals(sample.subarray(0, FIRST))).toBe(true);
}, 120_000);

it('MongoDB unreachable: HEAD and PATCH answer 503 (not 404 or 500), and the upload resumes after', async () => {
  // A node whose records and uploads are all behind the relay; it gives up on a server in 2 s.
  const via = relayedUri();
  via.searchParams.set('serverSelectionTimeoutMS', '2000');
  const node = await startStack({
    mongodbUri: via.toString(),
    blobStore: 'gridfs',
    config: { tusLeaseStaleMs: STALE_MS },
  });
  try {
    const u = await upload(node);
    // 404 would make tus-js-client start the upload over; 503 makes it retry and resume.
    const head = cutAt('find', 'tus.uploads');
    const headed = tusHead(node.url, u.sessionId, u.loc);
    await heldBefore(head.held, headed);
    link.down();
    expect((await headed).status).toBe(503);
    link.up();
    await reconnected(node, u);
    const claim = cutAt('insert', 'tus.chunks'); // claimOffset's insertOne
    const patched = tusPatch(node.url, u.sessionId, u.loc, 0, sample, sample.length);
    await heldBefore(claim.held, patched);
    link.down();
    const refused = await patched;
    expect(refused.status, refused.body).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error_code: '011' });
    link.up();
    await reconnected(node, u);
    await tusComplete(node.url, u.sessionId, u.loc, sample);
    const v = await fetch(`${node.url}/videos/${u.vid}`);
    expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  } finally {
    link.up();
    await node.close();
  }
}, 180_000);
