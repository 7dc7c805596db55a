/**
 * The lease that locks a tus upload during a write (src/http/stream/tus/lease.ts), on the fs
 * store:
 * - over loopback: the lease a writer that died leaves (created by the real lease code, never
 *   refreshed) holds the upload — 423 with Retry-After — while it is fresh, and is taken over once
 *   older than TUS_LEASE_STALE_MS; the upload then completes whole;
 * - many takers of one stale lease at the same instant (store instances: threads or processes on
 *   one DATA_DIR): exactly one wins, every other is refused with 423, and a lease created after
 *   the takeover is never removed by a late taker;
 * - a lease left by an earlier release (an empty file, no token) is taken over too;
 * - a writer whose lease file is removed under it mid-PATCH (what a takeover does), or replaced by
 *   another write's lease (a takeover and that taker's create), stops at its next heartbeat with
 *   409, keeping what it wrote, and leaves the other lease alone; the upload resumes from there
 *   byte-exact;
 * - a refresh whose lease loses its name between the refresh's open and its stat (a taker's
 *   unlink landing there; forced with a FIFO as the lease, whose content the test hands over
 *   after the unlink) reports the lease lost, not refreshed;
 * - a taker process that holds the taker's marker of a stale lease (stuck in its re-read of the
 *   lease: a FIFO) keeps it while alive — the upload answers 423 — and once SIGKILLed the next
 *   PATCH clears its marker, takes the stale lease over and completes (before: 423 until the
 *   upload expired).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it, onTestFinished, vi } from 'vitest';
import { LockingFileStore } from '../../src/http/stream/tus/file-store.js';
import { fileLease } from '../../src/http/stream/tus/fs-lease.js';
import { fakeMp4, type Stack, startStack } from './stack.js';
import { tusCreate, tusOffset, tusOpenPatch, tusPatch } from './tus-client.js';
import { namesDeep } from './tus-fs-names.js';
import { exactlyOneTaker } from './tus-takers.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));
const DYING_TAKER = fileURLToPath(new URL('../fixtures/http/fs-dying-taker.ts', import.meta.url));
let s: Stack;
let sample: Buffer;
// The longest stale window allowed: a loaded machine never ages a fresh lease past it by chance.
const lease = { refreshMs: 2000, staleMs: 30_000 };

beforeAll(async () => {
  s = await startStack({
    config: { tusLeaseRefreshMs: lease.refreshMs, tusLeaseStaleMs: lease.staleMs },
  });
  sample = await readFile(SAMPLE);
});
afterAll(async () => {
  await s?.close();
});

async function upload(size = sample.length) {
  const u = await s.user();
  const vid = await s.video(u.userId);
  const loc = (await tusCreate(s.url, u.sessionId, size, vid)).headers.location as string;
  const id = loc.split('/').pop() as string;
  return { ...u, vid, loc, id, path: join(s.dir, 'tus', `${id}.lock`) };
}

async function ageLease(path: string) {
  const past = new Date(Date.now() - lease.staleMs - 5_000);
  await utimes(path, past, past);
}

/** Lease and marker files left: `<id>.lock*` files, and the files in each `<id>.locks`. */
async function leftovers() {
  const names = await namesDeep(join(s.dir, 'tus'), (n) => n.includes('.lock'));
  return names.filter((n) => !n.endsWith('.locks'));
}

it("a dead writer's lease: 423 + Retry-After while fresh, taken over once stale", async () => {
  const u = await upload();
  // What a writer killed mid-PATCH leaves behind: a lease that nobody refreshes.
  expect(await fileLease(join(s.dir, 'tus'), u.id).create()).toBe(true);

  const held = await tusPatch(s.url, u.sessionId, u.loc, 0, sample, sample.length);
  expect(held.status, held.body).toBe(423);
  const wait = Number(held.headers['retry-after']);
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(lease.staleMs / 1000);
  // The page shows `error`; `retry_after` is the same wait as the header.
  expect(JSON.parse(held.body)).toMatchObject({ error_code: '007', retry_after: wait });
  expect(await tusOffset(s.url, u.sessionId, u.loc)).toBe(0);

  await ageLease(u.path);
  const taken = await tusPatch(s.url, u.sessionId, u.loc, 0, sample, sample.length);
  expect(taken.status, taken.body).toBe(204);
  const v = await fetch(`${s.url}/videos/${u.vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  // The taker released the lease when its write ended; no marker or temporary file is left.
  expect(await leftovers()).toEqual([]);
});

it('an untokened lease (an earlier release wrote empty ones) is taken over once stale', async () => {
  const u = await upload();
  await writeFile(u.path, '');
  expect((await tusPatch(s.url, u.sessionId, u.loc, 0, sample, sample.length)).status).toBe(423);
  await ageLease(u.path);
  expect((await tusPatch(s.url, u.sessionId, u.loc, 0, sample, sample.length)).status).toBe(204);
  expect(await leftovers()).toEqual([]);
});

it('40 takers of one stale lease at once: exactly one writes, the others get 423', async () => {
  const u = await upload();
  expect(await fileLease(join(s.dir, 'tus'), u.id).create()).toBe(true);
  await ageLease(u.path);
  const dir = join(s.dir, 'tus');
  // One store per taker: what 40 threads or processes on one DATA_DIR hold.
  const takers = Array.from({ length: 40 }, () => new LockingFileStore({ directory: dir, lease }));
  await exactlyOneTaker(takers, u.id, () => new Promise((r) => setImmediate(r)));
  expect(await leftovers()).toEqual([]);
  // The upload is intact and free: it completes from offset 0.
  expect((await tusPatch(s.url, u.sessionId, u.loc, 0, sample, sample.length)).status).toBe(204);
});

it.each([
  ['removed', false],
  ["replaced by another write's", true],
])(
  'a writer whose lease is %s under it stops with 409; the upload resumes whole',
  async (_, replaced) => {
    // Large enough that the client is still sending when the server answers, however loaded.
    const video = fakeMp4(1_000_000);
    const u = await upload(video.length);
    const first = 100_000;
    const w = tusOpenPatch(s.url, u.sessionId, u.loc, 0, video.length);
    await w.send(video.subarray(0, first));
    // The bytes are in the data file (a HEAD now would make @tus/server end this PATCH early).
    const data = join(s.dir, 'tus', u.id);
    await vi.waitFor(async () => expect((await stat(data)).size).toBe(first), {
      timeout: 60_000,
      interval: 50,
    });
    // The lease goes from under the live writer, as in a takeover: its next refresh finds out.
    // Replaced, the file is there with another token (the taker's create after its takeover).
    await unlink(u.path);
    const other = fileLease(join(s.dir, 'tus'), u.id);
    if (replaced) expect(await other.create()).toBe(true);
    const theirs = replaced ? await readFile(u.path, 'utf8') : undefined;
    const { answer, sent } = await w.trickle(video, first);
    expect(answer.status, answer.body).toBe(409);
    expect(JSON.parse(answer.body)).toMatchObject({ error_code: '007' });
    if (replaced) {
      // The stopped writer's release left the other write's lease as it was; that write ends.
      expect(await readFile(u.path, 'utf8')).toBe(theirs);
      await other.remove();
    }
    // The upload holds a prefix of what was sent (nothing is written once the answer is out).
    const at = await tusOffset(s.url, u.sessionId, u.loc);
    expect(at).toBeGreaterThanOrEqual(first);
    expect(at).toBeLessThanOrEqual(sent);
    expect((await readFile(data)).equals(video.subarray(0, at))).toBe(true);
    const rest = video.subarray(at);
    const done = await tusPatch(s.url, u.sessionId, u.loc, at, rest, rest.length);
    expect(done.status, done.body).toBe(204);
    const v = await fetch(`${s.url}/videos/${u.vid}`);
    expect(Buffer.from(await v.arrayBuffer()).equals(video)).toBe(true);
    expect(await leftovers()).toEqual([]);
  },
  120_000,
);

it('a refresh whose lease is unlinked while it has it open reports the lease lost', async () => {
  const dir = join(s.dir, 'tus');
  const id = randomBytes(16).toString('hex');
  const path = join(dir, `${id}.lock`);
  const ops = fileLease(dir, id);
  expect(await ops.create()).toBe(true);
  const token = await readFile(path, 'utf8');
  // The lease as a FIFO with the same token: the refresh's open waits for the test's writer,
  // and its read for the token the test sends, so the unlink lands between its open and stat.
  await unlink(path);
  execFileSync('mkfifo', ['-m', '600', path]);
  const refreshed = ops.refresh();
  const writer = await open(path, 'w'); // opens once the refresh has opened it for reading
  await unlink(path); // a taker removes the lease under the open refresh
  await writer.write(token);
  await writer.close();
  expect(await refreshed).toBe(false);
  expect(await leftovers()).toEqual([]);
});

it('a taker process killed holding its marker: refused while alive, its marker cleared once dead', async () => {
  const u = await upload();
  const dir = join(s.dir, 'tus');
  expect(await fileLease(dir, u.id).create()).toBe(true);
  const token = await readFile(u.path, 'utf8');
  // The stale lease as a FIFO: the taker's re-read of it (under its marker) waits for a writer.
  await unlink(u.path);
  execFileSync('mkfifo', ['-m', '600', u.path]);
  const args = [DYING_TAKER, dir, u.id, token, String(lease.staleMs)];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: 'ignore' });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  const exited = new Promise((r) => child.once('exit', r));
  // Its marker is held once it reads the FIFO: a writer opens without blocking only then.
  let writer: Awaited<ReturnType<typeof open>> | undefined;
  await vi.waitFor(
    async () => {
      writer = await open(u.path, constants.O_WRONLY | constants.O_NONBLOCK);
    },
    { timeout: 120_000, interval: 100 },
  );
  onTestFinished(() => writer?.close());
  // The taker now waits in its read (nothing is written); the lease becomes that stale lease.
  await unlink(u.path);
  await writeFile(u.path, token);
  await ageLease(u.path);
  expect((await leftovers()).filter((f) => f.endsWith('.taking'))).toHaveLength(1);
  const held = await tusPatch(s.url, u.sessionId, u.loc, 0, sample, sample.length);
  expect(held.status, held.body).toBe(423);
  child.kill('SIGKILL');
  await exited;
  const taken = await tusPatch(s.url, u.sessionId, u.loc, 0, sample, sample.length);
  expect(taken.status, taken.body).toBe(204);
  const v = await fetch(`${s.url}/videos/${u.vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  expect(await leftovers()).toEqual([]);
}, 180_000);
