/**
 * The fs tus store's expiry sweep (src/http/stream/tus/file-store.ts `deleteExpired`) over many
 * uploads, on a real directory:
 * - a sweep reads the directory once however many uploads expire (before: once more per removed
 *   upload, to find that upload's markers — n² names read for n uploads, what a flood of
 *   created-but-abandoned uploads costs), and a single remove (DELETE, a completed upload) reads
 *   no listing of it at all (before: one, of every upload's names). The count is of `readdir`
 *   calls on the store's directory, seen through node:fs/promises wrapped for this file
 *   (vi.mock): no timing;
 * - every expired upload goes whole (data, `<id>.json`, lease and every marker a writer or taker
 *   that died left, in `<id>.locks/` or beside the lease as in the layout before), one whose data
 *   file is gone too; a live upload, its markers and a look-alike name (another id that starts
 *   with an expired one) stay.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Upload } from '@tus/utils';
import { expect, it, onTestFinished, vi } from 'vitest';
import { LockingFileStore } from '../../src/http/stream/tus/file-store.js';
import { namesDeep } from './tus-fs-names.js';

const reads = vi.hoisted(() => ({
  dirs: [] as string[],
  /** Names the next listings leave out (what readdir may miss of a file created meanwhile). */
  hide: new Set<string>(),
  /** Runs right after a mkdir of `path` (the lease create's `<id>.locks`), when set. */
  afterMkdir: undefined as ((path: string) => Promise<unknown>) | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = (async (...args: Parameters<typeof fs.readdir>) => {
    reads.dirs.push(String(args[0]));
    const names = await fs.readdir(...args);
    return (names as unknown[]).filter((n) => typeof n !== 'string' || !reads.hide.has(n));
  }) as typeof fs.readdir;
  const mkdir = (async (...args: Parameters<typeof fs.mkdir>) => {
    const made = await fs.mkdir(...args);
    await reads.afterMkdir?.(String(args[0]));
    return made;
  }) as typeof fs.mkdir;
  const own = { readdir, mkdir };
  return { ...fs, ...own, default: { ...fs, ...own } };
});

/**
 * What writers and takers that died leave of upload `id`: its lease, and markers and private
 * `.new` files in `<id>.locks/` — or beside the lease as `<id>.lock.<…>`, the layout before
 * (`before`). Names relative to the directory; `<id>.locks` itself is listed too.
 */
function leftBehind(id: string, before: boolean): string[] {
  const token = randomBytes(12).toString('hex');
  const nonce = randomBytes(12).toString('hex');
  const at = before ? `${id}.lock.` : `${id}.locks/`;
  return [
    `${id}.lock`,
    ...(before ? [] : [`${id}.locks`]),
    `${at}${token}.new`,
    `${at}${token}.taking`,
    `${at}${token}.taking.${nonce}.dead`,
    `${at}${token}.taking.${nonce}.new`,
  ];
}

async function storeIn(dir: string, ids: string[], created: Date, markers?: 'now' | 'before') {
  const store = new LockingFileStore({ directory: dir });
  const left: string[] = [];
  for (const id of ids) {
    const upload = new Upload({ id, size: 10, offset: 0, creation_date: created.toISOString() });
    await store.create(upload);
    // Last written then: the sweep ages an upload by the later of creation and its data's mtime.
    await utimes(join(dir, id), created, created);
    if (markers) left.push(...leftBehind(id, markers === 'before'));
  }
  for (const name of left) {
    if (name.endsWith('.locks')) await mkdir(join(dir, name));
    else await writeFile(join(dir, name), 'left');
  }
  return left;
}

/** Every name in `dir`, and in its `<id>.locks` directories. */
const everything = (dir: string) => namesDeep(dir);

it('a sweep over 200 expired uploads reads the directory once and removes each whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tus-sweep-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const n = 200;
  const expired = Array.from({ length: n }, () => randomBytes(16).toString('hex'));
  const live = [randomBytes(16).toString('hex')];
  const past = new Date(Date.now() - 3_600_000);
  // What dead writers and takers leave: 40 expired uploads have it in the layout before, 40 in
  // `<id>.locks`; one has lost its data file.
  await storeIn(dir, expired.slice(0, 40), past, 'before');
  await storeIn(dir, expired.slice(40, 80), past, 'now');
  await storeIn(dir, expired.slice(80), past);
  await unlink(join(dir, expired[0] as string));
  const kept = [
    ...(await storeIn(dir, live, new Date(), 'now')),
    ...leftBehind(live[0] as string, true).filter((f) => f.includes('.lock.')),
  ];
  for (const f of kept.filter((k) => k.includes('.lock.'))) await writeFile(join(dir, f), 'left');
  // A live upload whose id starts with an expired one's, and a marker of it.
  const alike = `${expired[1]}0`;
  await storeIn(dir, [alike], new Date());
  const lookalike = `${alike}.lock.${'d'.repeat(24)}.taking`;
  await writeFile(join(dir, lookalike), 'left');

  const store = new LockingFileStore({ directory: dir, expirationPeriodInMilliseconds: 60_000 });
  reads.dirs.length = 0;
  expect(await store.deleteExpired()).toBe(n);
  expect(reads.dirs.filter((d) => d === dir)).toHaveLength(1);

  const liveNames = [live[0] as string, `${live[0]}.json`, alike, `${alike}.json`];
  expect(await everything(dir)).toEqual([...liveNames, ...kept, lookalike].sort());
  // The live upload is still whole for the store.
  expect((await store.getUpload(live[0] as string)).size).toBe(10);
});

it('a DELETE-style remove among 200 uploads reads no listing and takes every marker of its upload', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tus-sweep-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const ids = Array.from({ length: 200 }, () => randomBytes(16).toString('hex'));
  const [gone, ...others] = ids as [string, ...string[]];
  await storeIn(dir, [gone], new Date(), 'now');
  const theirs = await storeIn(dir, others.slice(0, 20), new Date(), 'now');
  await storeIn(dir, others.slice(20), new Date());
  const store = new LockingFileStore({ directory: dir });
  reads.dirs.length = 0;
  await store.remove(gone);
  expect(reads.dirs.filter((d) => d === dir)).toEqual([]);
  const rest = others.flatMap((id) => [id, `${id}.json`]);
  expect(await everything(dir)).toEqual([...rest, ...theirs].sort());
  await expect(store.remove(gone)).rejects.toMatchObject({ status_code: 404 });
});

it("a write racing its upload's removal is 404 and what it leaves goes at the next sweep", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tus-sweep-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const [a, b] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
  await storeIn(dir, [a, b], new Date());
  const store = new LockingFileStore({ directory: dir });
  // The removal lands between the lease create's mkdir of `<id>.locks` and its write in there.
  reads.afterMkdir = async () => {
    reads.afterMkdir = undefined;
    await store.remove(a);
  };
  onTestFinished(() => {
    reads.afterMkdir = undefined;
  });
  const body = () => Readable.from([Buffer.from('0123456789')]);
  await expect(store.write(body(), a, 0)).rejects.toMatchObject({ status_code: 404 });
  expect(await everything(dir)).toEqual([b, `${b}.json`].sort());
  // Removed before the write started: its lease is taken (and `<id>.locks` made), then it finds
  // no upload, releases the lease and leaves the empty `<id>.locks` — the sweep takes it.
  await store.remove(b);
  await expect(store.write(body(), b, 0)).rejects.toMatchObject({ status_code: 404 });
  expect(await everything(dir)).toEqual([`${b}.locks`]);
  expect(await store.deleteExpired()).toBe(0); // expiry 0 = never: leftovers go all the same
  expect(await everything(dir)).toEqual([]);
});

it("a live upload's markers stay when the sweep's listing missed its `<id>.json`", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tus-sweep-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const id = randomBytes(16).toString('hex');
  const left = await storeIn(dir, [id], new Date(), 'now');
  // Created while readdir ran, `<id>.json` may be missing from it, its markers not.
  reads.hide.add(`${id}.json`);
  onTestFinished(() => reads.hide.clear());
  const store = new LockingFileStore({ directory: dir, expirationPeriodInMilliseconds: 60_000 });
  expect(await store.deleteExpired()).toBe(0);
  reads.hide.clear();
  expect(await everything(dir)).toEqual([id, `${id}.json`, ...left].sort());
});
