/**
 * What every tus upload store must do over loopback, run on fs (FileStore), GridFS (MongoDB) and
 * S3 (SeaweedFS) by tus-store-{fs,gridfs,s3}.test.ts:
 * - expiry (TUS_EXPIRY_MS): an upload not completed in time answers 410 to HEAD and PATCH; the
 *   lifecycle sweep removes it from the store (then 404) and leaves a younger one alone;
 * - a complete upload that is not a video (415) leaves nothing in the store;
 * - two writes of one upload at the same offset through two store instances (what two HTTP
 *   threads or two nodes hold, each with its own @tus/server locker), both started before either
 *   stored a byte: one wins, the other is refused with 409 or 423 (both tell the client to ask
 *   HEAD and resume), and the upload holds exactly the
 *   winner's bytes — resumed over HTTP, it becomes the exact video;
 * - the same over HTTP: two PATCHes at once through two stream services on one store (what two
 *   HTTP threads are: each has its own @tus/server and locker) — one 204, one 409/423, and the
 *   upload completed with the winner's remaining bytes is exactly the winner's video. (Which
 *   interleaving the server sees is up to the scheduler; the outcome must hold for every one.)
 * Each test starts its own stack on fresh storage (`start`), so storage counts are exact.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../src/config.js';
import { loadUws } from '../../src/http/common/uws.js';
import { mountStream } from '../../src/http/stream/index.js';
import { tusUploadStore } from '../../src/http/stream/tus/index.js';
import { createLogger } from '../../src/log.js';
import { sweepOnce } from '../../src/scheduler/lifecycle-sweep.js';
import { schedulerBoard } from '../../src/scheduler/stats-board.js';
import { fakeMp4, type Stack } from './stack.js';
import { tusCreate, tusHead, tusOffset, tusPatch } from './tus-client.js';

export interface TusStoreTarget {
  /** A stream service on fresh, empty storage with these settings. */
  start(config: Partial<Config>): Promise<Stack>;
  /** What the tus store holds for this stack (files, documents, objects, multipart uploads). */
  stored(s: Stack): Promise<string[]>;
}

const TEST_MS = 180_000;

/** Another stream service (its own tus server) on the stack's stores: a second HTTP thread. */
export async function secondThread(s: Stack): Promise<{ url: string; close(): void }> {
  const uws = loadUws();
  const app = uws.App();
  mountStream(app, s.ctx);
  const socket = await new Promise<unknown>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (l) => (l ? resolve(l) : reject(new Error('listen failed')))),
  );
  // biome-ignore lint/suspicious/noExplicitAny: uWS types the listen socket opaquely
  const port = uws.us_socket_local_port(socket as any);
  return {
    url: `http://127.0.0.1:${port}`,
    // biome-ignore lint/suspicious/noExplicitAny: see above
    close: () => uws.us_listen_socket_close(socket as any),
  };
}
const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));

/** A request body the test feeds by hand; `consuming` resolves once the store started reading. */
function heldBody() {
  let started!: () => void;
  const consuming = new Promise<void>((r) => {
    started = r;
  });
  const body = new Readable({
    read() {
      started();
    },
  });
  return {
    body,
    consuming,
    feed(data: Buffer) {
      body.push(data);
      body.push(null);
    },
  };
}
const DAY_MS = 86_400_000;

export function describeTusStore(name: string, target: TusStoreTarget): void {
  describe(`tus upload store: ${name}`, () => {
    const stacks: Stack[] = [];
    afterEach(async () => {
      for (const s of stacks.splice(0)) await s.close();
    });
    async function start(config: Partial<Config>) {
      const s = await target.start(config);
      stacks.push(s);
      return s;
    }

    it(
      'an upload past TUS_EXPIRY_MS answers 410, and the sweep removes it (then 404)',
      async () => {
        const s = await start({ tusExpiryMs: 1500 });
        const { userId, sessionId } = await s.user();
        const vid = await s.video(userId);
        // The first bytes go with the creation: a PATCH after it could already be too late.
        const part = randomBytes(100_000);
        const created = await tusCreate(s.url, sessionId, 300_000, vid, {}, part);
        expect(created.status).toBe(201);
        expect(created.headers['upload-expires']).toBeDefined();
        const loc = created.headers.location as string;
        expect(await target.stored(s)).not.toEqual([]);

        // Expiry is measured from creation: wait for it (bounded), never assume it passed.
        await vi.waitFor(
          async () => expect((await tusHead(s.url, sessionId, loc)).status).toBe(410),
          { timeout: 60_000, interval: 200 },
        );
        const late = randomBytes(1000);
        const refused = await tusPatch(s.url, sessionId, loc, part.length, late, late.length);
        // The bytes of the creation were kept until the sweep (offset would be part.length).
        expect(refused.status).toBe(410);

        const sweep = (expiryMs: number) =>
          sweepOnce({
            records: s.stores.records,
            queue: s.stores.queue,
            blobs: undefined,
            tusUploads: tusUploadStore({ ...s.ctx.config, tusExpiryMs: expiryMs }, s.ctx.blobs),
            uploadTtlMs: DAY_MS,
            orphanGraceMs: DAY_MS,
            board: schedulerBoard(),
            row: 2,
            log: createLogger('test', 100),
          });
        // A store whose expiry is a day keeps it: the sweep removes only what is expired.
        expect((await sweep(DAY_MS)).tus).toBe(0);
        expect(await target.stored(s)).not.toEqual([]);
        // S3 ages an upload by its multipart upload's Initiated time, a little after the
        // creation date HEAD goes by: sweep until it is old enough there too (bounded).
        let removed = 0;
        await vi.waitFor(
          async () => {
            removed += (await sweep(1500)).tus;
            expect(await target.stored(s)).toEqual([]);
          },
          { timeout: 60_000, interval: 200 },
        );
        expect(removed).toBe(1);
        expect((await tusHead(s.url, sessionId, loc)).status).toBe(404);
        expect((await s.stores.records.getVideo(vid))?.state).toBe('active');
      },
      TEST_MS,
    );

    it(
      'a complete upload refused by the media probe (415) is removed at once, not at expiry',
      async () => {
        const s = await start({});
        const { userId, sessionId } = await s.user();
        const vid = await s.video(userId);
        const junk = Buffer.alloc(200_000, 7); // random bytes are, rarely, readable media
        const loc = (await tusCreate(s.url, sessionId, junk.length, vid)).headers
          .location as string;
        expect((await tusPatch(s.url, sessionId, loc, 0, junk, junk.length)).status).toBe(415);
        expect(await target.stored(s)).toEqual([]);
        expect((await tusHead(s.url, sessionId, loc)).status).toBe(404);
      },
      TEST_MS,
    );

    it(
      'two concurrent writes at one offset: one wins, the other gets 409/423, no byte of it kept',
      async () => {
        const s = await start({});
        const sample = await readFile(SAMPLE);
        const { userId, sessionId } = await s.user();
        const vid = await s.video(userId);
        const loc = (await tusCreate(s.url, sessionId, sample.length, vid)).headers
          .location as string;
        const id = loc.split('/').pop() as string;
        // Two store instances: two threads' (or nodes') views of the same storage.
        const [one, two] = [1, 2].map(() => tusUploadStore(s.ctx.config, s.ctx.blobs));
        const cut = 100_000;
        const a = heldBody();
        const b = heldBody();
        const wa = one!.write(a.body, id, 0);
        wa.catch(() => {});
        await a.consuming; // A passed its offset check and waits for bytes
        const wb = two!.write(b.body, id, 0);
        wb.catch(() => {});
        // B either waits for bytes too (both passed the check: the race) or is refused at once.
        await Promise.race([
          b.consuming,
          wb.then(
            () => {},
            () => {},
          ),
        ]);
        a.feed(sample.subarray(0, cut));
        expect(await wa).toBe(cut);
        b.feed(randomBytes(cut)); // different bytes at the same offset
        const refused = await wb.then(
          () => 200,
          (err: { status_code?: number }) => err.status_code,
        );
        expect([409, 423]).toContain(refused);

        expect(await tusOffset(s.url, sessionId, loc)).toBe(cut);
        const rest = sample.subarray(cut);
        expect((await tusPatch(s.url, sessionId, loc, cut, rest, rest.length)).status).toBe(204);
        const v = await fetch(`${s.url}/videos/${vid}`);
        expect(v.status).toBe(200);
        expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
      },
      TEST_MS,
    );

    it(
      'two PATCHes at one offset on two HTTP threads: one 204, one 409/423, the winner kept whole',
      async () => {
        const s = await start({});
        const other = await secondThread(s);
        const closers = [other.close];
        try {
          const size = 300_000;
          // Two different videos of one size (a real mp4, then random bytes in a free box).
          const videos = [fakeMp4(size), fakeMp4(size)];
          const { userId, sessionId } = await s.user();
          const vid = await s.video(userId);
          const loc = (await tusCreate(s.url, sessionId, size, vid)).headers.location as string;
          const cut = 150_000;
          const replies = await Promise.all(
            [s.url, other.url].map((url, i) =>
              tusPatch(url, sessionId, loc, 0, (videos[i] as Buffer).subarray(0, cut), cut),
            ),
          );
          const statuses = replies.map((r) => r.status).sort();
          expect(statuses[0]).toBe(204);
          expect([409, 423]).toContain(statuses[1]);
          const winner = videos[replies.findIndex((r) => r.status === 204)] as Buffer;
          expect(await tusOffset(s.url, sessionId, loc)).toBe(cut);
          const rest = winner.subarray(cut);
          const done = await tusPatch(other.url, sessionId, loc, cut, rest, rest.length);
          expect(done.status).toBe(204);
          const v = await fetch(`${s.url}/videos/${vid}`);
          expect(Buffer.from(await v.arrayBuffer()).equals(winner)).toBe(true);
        } finally {
          for (const c of closers) c();
        }
      },
      TEST_MS,
    );
  });
}
