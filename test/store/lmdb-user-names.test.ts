/**
 * An LMDB environment written before user names were folded (exact-name index `userNames`) gets
 * its case-insensitive index built on open: old users are found in any case and their names
 * cannot be registered again in another case.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, expect, it } from 'vitest';
import { LmdbRecordStore } from '../../src/store/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

it('folds the names of an older environment on open', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-fold-'));
  dirs.push(dir);
  const old = { id: randomUUID(), name: 'OldTimer', pwdHash: 'scrypt$x', createdAt: 1 };
  const root = open({ path: join(dir, 'db'), maxDbs: 32 });
  const users = root.openDB({ name: 'users', encoding: 'msgpack' });
  const names = root.openDB({ name: 'userNames', encoding: 'msgpack' });
  await root.transaction(() => {
    users.put(old.id, old);
    names.put(old.name, old.id);
  });
  await root.close();

  const store = LmdbRecordStore.open(dir);
  try {
    expect(await store.getUserByName('oldtimer')).toEqual(old);
    expect(await store.getUserByName('OldTimer')).toEqual(old);
    await expect(
      store.createUser({ ...old, id: randomUUID(), name: 'OLDTIMER' }),
    ).rejects.toMatchObject({ code: 'ERR_DUPLICATE' });
  } finally {
    await store.close();
  }
});
