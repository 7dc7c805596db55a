/**
 * The fs tus store's expiry sweep (src/http/stream/tus/file-store.ts `deleteExpired`) over many
 * uploads, on a real directory:
 * - it reads the directory a bounded number of times however many uploads expire (before: once
 *   more per removed upload, to find that upload's markers — n² names read for n uploads, what a
 *   flood of created-but-abandoned uploads costs). The count is of `readdir` calls on the store's
 *   directory, seen through node:fs/promises wrapped for this file (vi.mock): no timing;
 * - every expired upload goes whole (data, `<id>.json`, lease and every marker a writer or taker
 *   that died left beside it), one whose data file is gone too; a live upload, its markers and a
 *   look-alike name (another id that starts with an expired one) stay.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Upload } from '@tus/utils';
import { expect, it, onTestFinished, vi } from 'vitest';
import { LockingFileStore } from '../../src/http/stream/tus/file-store.js';

const reads = vi.hoisted(() => ({ dirs: [] as string[] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = ((...args: Parameters<typeof fs.readdir>) => {
    reads.dirs.push(String(args[0]));
    return fs.readdir(...args);
  }) as typeof fs.readdir;
  return { ...fs, readdir, default: { ...fs, readdir } };
});

/** What writers and takers that died leave beside upload `id`: lease, markers, `.new`. */
function leftBehind(id: string): string[] {
  const token = randomBytes(12).toString('hex');
  const nonce = randomBytes(12).toString('hex');
  return [
    `${id}.lock`,
    `${id}.lock.${token}.new`,
    `${id}.lock.${token}.taking`,
    `${id}.lock.${token}.taking.${nonce}.dead`,
    `${id}.lock.${token}.taking.${nonce}.new`,
  ];
}

async function storeIn(dir: string, ids: string[], created: Date, markers: boolean) {
  const store = new LockingFileStore({ directory: dir });
  const left: string[] = [];
  for (const id of ids) {
    const upload = new Upload({ id, size: 10, offset: 0, creation_date: created.toISOString() });
    await store.create(upload);
    // Last written then: the sweep ages an upload by the later of creation and its data's mtime.
    await utimes(join(dir, id), created, created);
    if (markers) left.push(...leftBehind(id));
  }
  for (const name of left) await writeFile(join(dir, name), 'left');
  return left;
}

it('a sweep over 200 expired uploads reads the directory once and removes each whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tus-sweep-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const n = 200;
  const expired = Array.from({ length: n }, () => randomBytes(16).toString('hex'));
  const live = [randomBytes(16).toString('hex')];
  const past = new Date(Date.now() - 3_600_000);
  // 40 expired uploads have what a dead writer and taker leave; one has lost its data file.
  await storeIn(dir, expired.slice(0, 40), past, true);
  await storeIn(dir, expired.slice(40), past, false);
  await unlink(join(dir, expired[0] as string));
  const kept = await storeIn(dir, live, new Date(), true);
  const lookalike = `${expired[1]}0.lock.${'d'.repeat(24)}.taking`;
  await writeFile(join(dir, lookalike), 'left');

  const store = new LockingFileStore({ directory: dir, expirationPeriodInMilliseconds: 60_000 });
  reads.dirs.length = 0;
  expect(await store.deleteExpired()).toBe(n);
  expect(reads.dirs.filter((d) => d === dir)).toHaveLength(1);

  const names = (await readdir(dir)).sort();
  const liveNames = [live[0] as string, `${live[0]}.json`];
  expect(names).toEqual([...liveNames, ...kept, lookalike].sort());
  // The live upload is still whole for the store.
  expect((await store.getUpload(live[0] as string)).size).toBe(10);
});

it('a DELETE-style remove still takes every marker of its upload and no other', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tus-sweep-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const [gone, other] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
  await storeIn(dir, [gone], new Date(), true);
  const theirs = await storeIn(dir, [other], new Date(), true);
  const store = new LockingFileStore({ directory: dir });
  await store.remove(gone);
  expect((await readdir(dir)).sort()).toEqual([other, `${other}.json`, ...theirs].sort());
  await expect(store.remove(gone)).rejects.toMatchObject({ status_code: 404 });
});
