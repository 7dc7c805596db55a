/**
 * The fs tus store (src/http/stream/tus/file-store.ts) when its directory misbehaves, and what an
 * upload leaves behind there, over loopback on the real DATA_DIR/tus:
 * - `<id>.json` that cannot be read (a symlink loop: ELOOP; a directory in its place: present but
 *   unreadable) is a store that failed, not an upload that is gone: HEAD and PATCH answer 503
 *   (told 404, tus-js-client starts the upload over), and once it is back the upload resumes
 *   byte-exact;
 * - an upload removed (DELETE) or expired (the sweep) leaves no `<id>.lock*` file: neither its
 *   lease nor the markers a taker that died leaves (`.taking`, `.dead`) nor a create's private
 *   `.new`, in `<id>.locks/`; those of the layout before (beside the lease, `<id>.lock.<…>`) go
 *   with an expired upload, and at the next sweep after a DELETE; another upload's markers, even
 *   one whose name starts with this id, stay; one whose data file is gone still has its
 *   `<id>.json` and markers removed by the sweep;
 * - a lease or marker create whose write fails part-way (ENOSPC: its private file is a symlink
 *   to /dev/full) leaves no `.new` file.
 */
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rmdir,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LockingFileStore } from '../../src/http/stream/tus/file-store.js';
import { createWhole } from '../../src/http/stream/tus/fs-marker.js';
import { type Stack, startStack } from './stack.js';
import { tusCreate, tusHead, tusOffset, tusPatch } from './tus-client.js';
import { namesDeep } from './tus-fs-names.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));
let s: Stack;
let sample: Buffer;
let tus: string;

beforeAll(async () => {
  s = await startStack();
  tus = join(s.dir, 'tus');
  sample = await readFile(SAMPLE);
});
afterAll(async () => {
  await s?.close();
});

async function upload() {
  const u = await s.user();
  const vid = await s.video(u.userId);
  const loc = (await tusCreate(s.url, u.sessionId, sample.length, vid)).headers.location as string;
  return { ...u, vid, loc, id: loc.split('/').pop() as string };
}

/** Every name in DATA_DIR/tus starting with `prefix`. */
async function named(prefix: string) {
  return (await readdir(tus)).filter((f) => f.startsWith(prefix)).sort();
}

it.each([
  ['a symlink loop (ELOOP)', (p: string) => symlink(p, p), unlink],
  ['a directory (present, unreadable)', (p: string) => mkdir(p), rmdir],
])(
  '<id>.json replaced by %s: HEAD and PATCH 503, then the upload resumes',
  async (_, put, drop) => {
    const u = await upload();
    const half = 100_000;
    expect(
      (await tusPatch(s.url, u.sessionId, u.loc, 0, sample.subarray(0, half), half)).status,
    ).toBe(204);
    const info = join(tus, `${u.id}.json`);
    await rename(info, `${info}.away`);
    await put(info);
    try {
      expect((await tusHead(s.url, u.sessionId, u.loc)).status).toBe(503);
      const rest = sample.subarray(half);
      const refused = await tusPatch(s.url, u.sessionId, u.loc, half, rest, rest.length);
      expect(refused.status, refused.body).toBe(503);
      expect(JSON.parse(refused.body)).toMatchObject({ error_code: '011' });
    } finally {
      await drop(info);
      await rename(`${info}.away`, info);
    }
    expect(await tusOffset(s.url, u.sessionId, u.loc)).toBe(half);
    const rest = sample.subarray(half);
    const done = await tusPatch(s.url, u.sessionId, u.loc, half, rest, rest.length);
    expect(done.status, done.body).toBe(204);
    const v = await fetch(`${s.url}/videos/${u.vid}`);
    expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  },
);

/**
 * What writers and takers that died leave of upload `id`, by hand: its lease, and the markers and
 * private `.new` files in `<id>.locks/` — or, in the layout before, beside the lease as
 * `<id>.lock.<…>` (`before`). Returns the names relative to DATA_DIR/tus.
 */
async function leftBehind(id: string, before = false) {
  const token = (before ? 'a' : 'e').repeat(24);
  const dir = before ? `${id}.lock.` : `${id}.locks/`;
  if (!before) await mkdir(join(tus, `${id}.locks`), { recursive: true });
  const names = [
    `${id}.lock`,
    `${dir}${token}.new`,
    `${dir}${token}.taking`,
    `${dir}${token}.taking.${'b'.repeat(24)}.dead`,
    `${dir}${token}.taking.${'c'.repeat(24)}.new`,
  ];
  for (const n of names) await writeFile(join(tus, n), 'left');
  return names;
}

/** Every name in DATA_DIR/tus starting with `prefix`, and in the `<…>.locks` among them. */
const deep = (prefix: string) => namesDeep(tus, (n) => n.startsWith(prefix));

const DELETE = { method: 'DELETE', headers: { 'tus-resumable': '1.0.0' } };

it('an upload removed (DELETE) leaves no lease or marker file; those from before go at the next sweep', async () => {
  const [u, old, other] = [await upload(), await upload(), await upload()];
  await leftBehind(u.id);
  await leftBehind(old.id, true);
  const theirs = [...(await leftBehind(other.id)), `${other.id}.locks`];
  // A name that starts with the id but belongs to no lease of it.
  const lookalike = `${old.id}0.lock.${'d'.repeat(24)}.taking`;
  await writeFile(join(tus, lookalike), 'left');
  for (const x of [u, old]) {
    const del = await fetch(`${s.url}${x.loc}`, {
      ...DELETE,
      headers: { ...DELETE.headers, 'x-session-id': x.sessionId },
    });
    expect(del.status).toBe(204);
    expect((await tusHead(s.url, x.sessionId, x.loc)).status).toBe(404);
  }
  // Its own at once; those of the layout before (found only by a listing) at the next sweep,
  // expiry or not, with the look-alike (it belongs to no upload).
  expect(await deep(`${u.id}.`)).toEqual([]);
  expect(await deep(`${old.id}.`)).not.toEqual([]);
  expect(await named(`${old.id}0`)).toEqual([lookalike]);
  await new LockingFileStore({ directory: tus }).deleteExpired();
  expect(await deep(`${old.id}.`)).toEqual([]);
  expect(await named(`${old.id}0`)).toEqual([]);
  expect(await deep(`${other.id}.lock`)).toEqual([...theirs].sort());
});

it.each([
  ['', false],
  [' (markers in the layout before)', true],
])('an upload expired (the sweep) leaves no lease or marker file%s', async (_, before) => {
  const u = await upload();
  await leftBehind(u.id, before);
  // Last written long ago, on a store whose uploads expire 1 s after their last write.
  const past = new Date(Date.now() - 3_600_000);
  await utimes(join(tus, u.id), past, past);
  const json = join(tus, `${u.id}.json`);
  const info = JSON.parse(await readFile(json, 'utf8')) as { creation_date: string };
  await writeFile(json, JSON.stringify({ ...info, creation_date: past.toISOString() }));
  const store = new LockingFileStore({ directory: tus, expirationPeriodInMilliseconds: 1000 });
  expect(await store.deleteExpired()).toBeGreaterThanOrEqual(1);
  expect(await named(u.id)).toEqual([]);
});

it('an expired upload whose data file is gone is still removed whole: metadata and markers', async () => {
  const u = await upload();
  await leftBehind(u.id);
  await leftBehind(u.id, true);
  await unlink(join(tus, u.id));
  const json = join(tus, `${u.id}.json`);
  const info = JSON.parse(await readFile(json, 'utf8')) as { creation_date: string };
  const past = new Date(Date.now() - 3_600_000);
  await writeFile(json, JSON.stringify({ ...info, creation_date: past.toISOString() }));
  const store = new LockingFileStore({ directory: tus, expirationPeriodInMilliseconds: 1000 });
  expect(await store.deleteExpired()).toBeGreaterThanOrEqual(1);
  expect(await named(u.id)).toEqual([]);
  // Gone now: a second remove is "not found", as for any unknown upload.
  await expect(store.remove(u.id)).rejects.toMatchObject({ status_code: 404 });
});

it("a create whose write fails part-way (ENOSPC) leaves no '.new' file", async () => {
  const path = join(tus, 'full.lock');
  const fresh = join(tus, 'full.locks.u.new');
  await symlink('/dev/full', fresh);
  await expect(createWhole(path, 'token', fresh)).rejects.toMatchObject({ code: 'ENOSPC' });
  await expect(lstat(fresh)).rejects.toMatchObject({ code: 'ENOENT' });
  await expect(lstat(path)).rejects.toMatchObject({ code: 'ENOENT' });
});
