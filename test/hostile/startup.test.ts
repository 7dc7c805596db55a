/**
 * Start-up refusals of the real `video-server start` (issue 10, item 9):
 *   - a second server on a port the first one holds exits 1 naming the setting (SO_REUSEPORT used
 *     to let it join silently and split traffic between two databases);
 *   - a DATA_DIR that cannot be written exits 1 naming DATA_DIR and the cause: a path under a
 *     regular file (ENOTDIR), and — as root, as CI runs — a read-only file system (EROFS).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let first: TestServer;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vs-startup-'));
  first = await startTestServer({ only: 'stream' });
});
afterAll(async () => {
  await first?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('start-up refusals', () => {
  it('a port held by another video-server → exit 1 naming STREAM_PORT', async () => {
    const port = new URL(first.urls.stream!).port;
    const second = startTestServer({ only: 'stream', env: { STREAM_PORT: port } });
    await expect(second).rejects.toThrow(/exited with 1[\s\S]*STREAM_PORT[\s\S]*already in use/);
    // The first one still has the port to itself and answers.
    expect((await fetch(`${first.urls.stream}/videos/x`)).status).toBe(400);
  });

  it('DATA_DIR under a regular file → exit 1 naming DATA_DIR and ENOTDIR', async () => {
    const file = join(scratch, 'a-file');
    await writeFile(file, 'x');
    const s = startTestServer({ only: 'stream', dataDir: join(file, 'data') });
    await expect(s).rejects.toThrow(/exited with 1[\s\S]*DATA_DIR[\s\S]*ENOTDIR/);
  });

  it('DATA_DIR on a read-only file system → exit 1 naming DATA_DIR and EROFS', async () => {
    const ro = join(scratch, 'ro');
    execFileSync('mkdir', [ro]);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro], { stdio: 'pipe' });
    } catch (err) {
      if (process.env.CI === 'true') throw new Error(`cannot mount a read-only tmpfs: ${err}`);
      return; // not root outside CI: the ENOTDIR case above covers the message
    }
    try {
      const s = startTestServer({ only: 'stream', dataDir: join(ro, 'data') });
      await expect(s).rejects.toThrow(/exited with 1[\s\S]*DATA_DIR[\s\S]*EROFS/);
    } finally {
      execFileSync('umount', ['-l', ro]);
      await rmdir(ro);
    }
  });
});
