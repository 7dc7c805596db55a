/**
 * Password hashing runs on its own pool, not on libuv's thread pool (which file I/O of every
 * thread shares): with every libuv thread blocked, a hash still completes. The libuv threads are
 * blocked deterministically by opening FIFOs for reading (open() waits for a writer), and
 * released by opening the writing ends.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/http/api/password.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

it('hashes and verifies while every libuv thread is busy', async () => {
  // Start the pool's thread first: loading its modules reads files through libuv.
  const warm = await hashPassword('warm up please');
  expect(await verifyPassword('warm up please', warm)).toBe(true);

  const dir = await mkdtemp(join(tmpdir(), 'vs-fifo-'));
  dirs.push(dir);
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const fifos = Array.from({ length: size }, (_, i) => join(dir, `f${i}`));
  for (const f of fifos) execFileSync('mkfifo', [f]);
  const blocked = fifos.map((f) => open(f, 'r'));
  try {
    // The libuv pool is now full; a probe through it stays pending until released.
    let probeDone = false;
    const probe = open(join(dir, 'f0'), 'r').then((h) => {
      probeDone = true;
      return h;
    });
    const hash = await hashPassword('pässwörd, NFC');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('pässwörd, NFC', hash)).toBe(true);
    expect(await verifyPassword('wrong', hash)).toBe(false);
    expect(probeDone).toBe(false);
    // Release: a writer on each FIFO lets every open() (and the probe) complete.
    const writers = fifos.map((f) => openSync(f, 'w'));
    const handles = await Promise.all([...blocked, probe]);
    for (const w of writers) closeSync(w);
    for (const h of handles) await h.close();
  } finally {
    // On failure, unblock whatever still waits so the test process can end (non-blocking: a
    // FIFO without a reader left fails with ENXIO instead of waiting).
    for (const f of fifos) {
      try {
        closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {}
    }
  }
});
