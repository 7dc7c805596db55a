/**
 * Shared pieces of the scheduler tests: a fresh config on a temp DATA_DIR, seeding videos with a
 * blob and comments, and a bounded poll on observable state (never a blind sleep).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config.js';
import type { Stores } from '../../src/store/index.js';

export async function tempConfig(env: Record<string, string> = {}): Promise<{
  config: Config;
  cleanup(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'vs-sched-'));
  const config = loadConfig({ DATA_DIR: dir, SCHEDULER_INTERVAL_MS: '50', ...env });
  return { config, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A video with a 5-byte blob and `comments` comments; returns its id. */
export async function seedVideo(stores: Stores, comments = 2): Promise<string> {
  const id = randomUUID();
  const authorId = randomUUID();
  await stores.records.createVideo({
    id,
    authorId,
    name: 'v',
    createdAt: Date.now(),
    state: 'active',
  });
  const w = await stores.blobs.createWriter(id, { contentType: 'video/mp4' });
  await w.write(Buffer.from('hello'));
  await w.commit();
  for (let i = 0; i < comments; i++) {
    await stores.records.addComment({
      id: randomUUID(),
      videoId: id,
      authorId,
      authorName: 'someone',
      content: `c${i}`,
      createdAt: Date.now() + i,
    });
  }
  return id;
}

/** True when nothing of the video is left: blob, record, comments, deletion record. */
export async function isGone(stores: Stores, id: string): Promise<boolean> {
  const [blob, video, comments, del] = await Promise.all([
    stores.blobs.stat(id),
    stores.records.getVideo(id),
    stores.records.listComments(id),
    stores.queue.getDeletion(id),
  ]);
  return blob === undefined && video === undefined && comments.length === 0 && del === undefined;
}

/** True when everything of the video is still there. */
export async function isIntact(stores: Stores, id: string, comments = 2): Promise<boolean> {
  const [blob, video, list] = await Promise.all([
    stores.blobs.stat(id),
    stores.records.getVideo(id),
    stores.records.listComments(id),
  ]);
  return blob?.size === 5 && video !== undefined && list.length === comments;
}

/** Polls `check` every `everyMs` until it returns true; throws `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  everyMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Tickets for the tests' deletion task (its `tickets` option, a directory created here): a test
 * lets a bounded number of tasks through, whatever the machine's speed, then all of them.
 */
export async function ticketBooth(dir: string) {
  await mkdir(dir);
  return {
    dir,
    /**
     * Hands out a ticket whenever the last one was taken until `check` holds, then takes back the
     * one not yet taken. At most one ticket is ever out, so past the last failed check at most
     * one more task starts, besides those already running.
     */
    async until(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void> {
      let n = 0;
      await waitFor(
        what,
        async () => {
          if (await check()) return true;
          if ((await readdir(dir)).length === 0) await writeFile(join(dir, `t${n++}`), '');
          return false;
        },
        timeoutMs,
      );
      for (const name of await readdir(dir)) await rm(join(dir, name), { force: true });
    },
    /** Every task from now on goes through. */
    openAll: () => writeFile(join(dir, 'all'), ''),
  };
}
