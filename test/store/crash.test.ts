/**
 * Crash safety: a child process (tsx) is SIGKILLed in the middle of a blob write and in the
 * middle of multi-key record writes. On reopen: no partial blob is visible, crashed writers'
 * temp files are swept, and every multi-key record write is all-or-nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FsBlobStore, LmdbRecordStore } from '../../src/store/index.js';
import { BLOB_SIZE, expectedBytes } from './fixtures/blob-content.js';

const COMMENTS = 200;
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

/** Runs a fixture, feeds its stdout lines to `onLine` until it returns true, then SIGKILLs it. */
async function runUntil(
  name: string,
  args: string[],
  onLine: (line: string) => boolean,
): Promise<string[]> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fixture(name), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines: string[] = [];
  try {
    for await (const line of createInterface({ input: child.stdout! })) {
      lines.push(line);
      if (onLine(line)) break;
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  expect(child.signalCode).toBe('SIGKILL'); // it was killed, it did not finish or crash
  return lines;
}

describe('crash safety (SIGKILL)', () => {
  const dirs: string[] = [];
  const tmp = async () => {
    const d = await mkdtemp(join(tmpdir(), 'store-crash-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('a blob killed mid-write is invisible and its temp file is swept on reopen', async () => {
    const dir = await tmp();
    const lines = await runUntil('crash-blob-writer', [dir, 'hang'], (l) => l.startsWith('midway'));
    const committed = lines.find((l) => l.startsWith('committed'))!.split(' ')[1]!;
    const partial = lines.find((l) => l.startsWith('midway'))!.split(' ')[1]!;
    expect((await readdir(dir)).some((n) => n.startsWith(`.${partial}.`))).toBe(true); // it was mid-write

    const blobs = await FsBlobStore.open({ dir });
    expect(await blobs.stat(partial)).toBeUndefined();
    expect(await readdir(dir)).toEqual([committed, `${committed}.meta`].sort());
    expect((await blobs.stat(committed))?.contentType).toBe('video/mp4');
    expect((await collect(blobs.read(committed))).equals(expectedBytes(committed))).toBe(true);
    await blobs.close();
  });

  it('blobs killed at an arbitrary point: every visible blob is complete', async () => {
    const dir = await tmp();
    // Kill once a few blobs are committed; where the next write stands is up to the scheduler.
    let n = 0;
    await runUntil(
      'crash-blob-writer',
      [dir, 'loop'],
      (l) => l.startsWith('committed') && ++n === 5,
    );
    const blobs = await FsBlobStore.open({ dir });
    const names = await readdir(dir);
    expect(names.filter((x) => x.startsWith('.'))).toEqual([]);
    const ids = names.filter((x) => !x.endsWith('.meta'));
    expect(ids.length).toBeGreaterThanOrEqual(5);
    for (const id of ids) {
      const info = await blobs.stat(id);
      expect(info).toMatchObject({ size: BLOB_SIZE, contentType: 'video/mp4' });
      expect((await collect(blobs.read(id))).equals(expectedBytes(id))).toBe(true);
    }
    await blobs.close();
  });

  it('records killed mid-batch are all-or-nothing', async () => {
    const dir = await tmp();
    // Kill right as a deleteVideos transaction (200 comments and the video) starts, 3rd round.
    let rounds = 0;
    const lines = await runUntil(
      'crash-record-writer',
      [dir, String(COMMENTS)],
      (l) => l.startsWith('deleting') && ++rounds === 3,
    );
    const store = LmdbRecordStore.open(dir);
    try {
      for (const line of lines) {
        const [kind, id, extra] = line.split(' ') as [string, string, string];
        if (kind === 'user') {
          const byId = await store.getUserById(id);
          const byName = await store.getUserByName(extra);
          expect(byName?.id).toBe(byId?.id); // both keys or neither
        } else if (kind === 'video') {
          const v = await store.getVideo(id);
          const listed = (await store.listVideosByAuthor(extra)).map((x) => x.id);
          expect(listed.includes(id)).toBe(v !== undefined);
        } else if (kind === 'added') {
          // Added before the kill: the video with all its comments, or (deleted in one
          // transaction) neither.
          const video = await store.getVideo(id);
          const n = (await store.listComments(id)).length;
          expect({ video: video !== undefined, n }).toEqual(
            video ? { video: true, n: COMMENTS } : { video: false, n: 0 },
          );
        }
      }
      // The round before the kill finished its delete: its video and comments are gone.
      const deleted = lines.filter((l) => l.startsWith('deleting')).map((l) => l.split(' ')[1]!);
      expect(await store.listComments(deleted[0]!)).toEqual([]);
      expect(await store.getVideo(deleted[0]!)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
