/**
 * The fs tus store (src/http/stream/tus/file-store.ts) when its directory misbehaves, over
 * loopback on the real DATA_DIR/tus:
 * - `<id>.json` that cannot be read (a symlink loop: ELOOP; a directory in its place: present but
 *   unreadable) is a store that failed, not an upload that is gone: HEAD and PATCH answer 503
 *   (told 404, tus-js-client starts the upload over), and once it is back the upload resumes
 *   byte-exact.
 */
import { mkdir, readFile, rename, rmdir, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.js';
import { tusCreate, tusHead, tusOffset, tusPatch } from './tus-client.js';

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
