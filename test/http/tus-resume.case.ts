/**
 * Resuming over loopback, run on fs, GridFS and S3 by tus-store-{fs,gridfs,s3}.test.ts, with a
 * short lease (refresh 500 ms, stale 4 s) so the windows are small:
 * - a PATCH whose client socket is destroyed mid-body: the server keeps what arrived, and a
 *   client behaving as tus-js-client does (HEAD, PATCH the rest, retry 409/423) completes the
 *   upload within the stale window plus slack; the video is byte-exact and nothing of the
 *   upload (data, lease) is left in the store;
 * - a writer process SIGKILLed mid-PATCH while holding the lease (leased stores): its lease stays
 *   behind, and the tus-js-client-like resume completes the upload byte-exact once the lease is
 *   stale (the bound: TUS_LEASE_STALE_MS plus slack), then no lease is left;
 * - a slow but live writer (a PATCH trickling its bytes for more than twice the stale window)
 *   keeps its lease: on the leased stores (fs, S3) every competing PATCH meanwhile, sent through
 *   another HTTP thread (its own @tus/server; on the same thread @tus/server's own locker cancels
 *   the older request on purpose: the newest request of an upload wins there), is refused (423,
 *   or 409 once the offset moved), never accepted; the trickled upload completes whole.
 *   (GridFS has no lease while a chunk fills: the first write to store a chunk wins; the
 *   trickle there shows it is not cut short or corrupted.)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Config } from '../../src/config.js';
import { fakeMp4, type Stack } from './stack.js';
import { tusCreate, tusCutPatch, tusOffset, tusPatch } from './tus-client.js';
import { secondThread } from './tus-store.case.js';

export interface TusResumeTarget {
  start(config: Partial<Config>): Promise<Stack>;
  stored(s: Stack): Promise<string[]>;
  /** Whether the store locks an upload for a whole PATCH (fs, S3) or per chunk (GridFS). */
  leased: boolean;
  /** Whether upload `id`'s lease is there now (the leased stores). */
  leaseHeld?(s: Stack, id: string): Promise<boolean>;
}

const DYING_WRITER = fileURLToPath(
  new URL('../fixtures/http/tus-dying-writer.ts', import.meta.url),
);
const LEASE = { tusLeaseRefreshMs: 500, tusLeaseStaleMs: 4000 };
const TEST_MS = 240_000;

/**
 * Resumes as tus-js-client does (HEAD, PATCH the rest, again on 409/423) until the upload is
 * whole, then checks that video `vid` is served byte-exact.
 */
async function resume(s: Stack, sid: string, loc: string, vid: string, data: Buffer) {
  const seen: number[] = [];
  await vi.waitFor(
    async () => {
      const at = await tusOffset(s.url, sid, loc);
      const rest = data.subarray(at);
      const r = await tusPatch(s.url, sid, loc, at, rest, rest.length);
      seen.push(r.status);
      if (r.status === 423) {
        const wait = Number(r.headers['retry-after']);
        if (!(wait >= 1 && wait <= LEASE.tusLeaseStaleMs / 1000))
          throw new Error(`Retry-After ${wait}`);
      }
      expect(r.status, r.body).toBe(204);
    },
    { timeout: LEASE.tusLeaseStaleMs + 90_000, interval: 250 },
  );
  expect(
    seen.every((st) => [204, 409, 423].includes(st)),
    String(seen),
  ).toBe(true);
  const v = await fetch(`${s.url}/videos/${vid}`);
  expect(v.status).toBe(200);
  expect(Buffer.from(await v.arrayBuffer()).equals(data)).toBe(true);
}

/** A user, a video record of theirs and a tus upload of a fresh `size`-byte mp4 into it. */
async function newUpload(s: Stack, size: number) {
  const { userId, sessionId } = await s.user();
  const vid = await s.video(userId);
  const video = fakeMp4(size);
  const loc = (await tusCreate(s.url, sessionId, video.length, vid)).headers.location as string;
  return { sessionId, vid, video, loc, id: loc.split('/').pop() as string };
}

export function describeTusResume(name: string, target: TusResumeTarget): void {
  describe(`tus resume: ${name}`, () => {
    const stacks: Stack[] = [];
    afterEach(async () => {
      for (const s of stacks.splice(0)) await s.close();
    });
    async function start() {
      const s = await target.start(LEASE);
      stacks.push(s);
      return s;
    }

    it(
      'a PATCH whose socket is destroyed mid-body: the resume completes it byte-exact',
      async () => {
        const s = await start();
        const { sessionId, vid, video, loc } = await newUpload(s, 3_000_000);
        const kept = await tusCutPatch(
          s.url,
          sessionId,
          loc,
          video.subarray(0, 1_200_000),
          video.length,
        );
        expect(kept).toBeGreaterThan(0);
        expect(kept).toBeLessThanOrEqual(1_200_000);
        await resume(s, sessionId, loc, vid, video);
        await vi.waitFor(async () => expect(await target.stored(s)).toEqual([]), {
          timeout: 60_000,
          interval: 200,
        });
      },
      TEST_MS,
    );

    // Registered on the leased stores only (GridFS holds no lease a dead writer could leave).
    const leasedIt = target.leaseHeld === undefined ? () => {} : it;
    leasedIt(
      'a writer process SIGKILLed mid-PATCH: its lease goes stale and the resume completes',
      async () => {
        const s = await start();
        const { sessionId, vid, video, loc, id } = await newUpload(s, 3_000_000);
        const bytesPath = join(s.dir, 'dying-writer.bin');
        await writeFile(bytesPath, video.subarray(0, 500_000));
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', DYING_WRITER, JSON.stringify(s.ctx.config), id, '0', bytesPath],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        onTestFinished(() => {
          child.kill('SIGKILL');
        });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          out += d;
        });
        const exited = new Promise((r) => child.once('exit', r));
        await vi.waitFor(() => expect(out).toContain('holding'), {
          timeout: 120_000,
          interval: 100,
        });
        expect(await target.leaseHeld?.(s, id)).toBe(true);
        child.kill('SIGKILL');
        await exited;
        expect(await target.leaseHeld?.(s, id)).toBe(true); // what the dead writer left
        await resume(s, sessionId, loc, vid, video);
        expect(await target.leaseHeld?.(s, id)).toBe(false);
      },
      TEST_MS,
    );

    it(
      'a PATCH trickling for over twice the stale window keeps its lease and completes whole',
      async () => {
        const s = await start();
        const { sessionId, vid, video, loc, id } = await newUpload(s, 200_000);
        const body = new Readable({ read() {} });
        const slow = tusPatch(s.url, sessionId, loc, 0, body, video.length);
        slow.catch(() => {}); // awaited below; a failed expectation before must not leave it unhandled
        const began = Date.now();
        const refused: number[] = [];
        let sent = 0;
        let enough = false; // twice the stale window passed (and, leased, a 423 seen)
        let quiet = !target.leased; // the competitor has stopped
        // 2 KB every 100 ms until 2 KB are left, then a byte a second (bytes keep flowing: uWS
        // drops an idle connection; the offset rarely moves under a competitor's HEAD + PATCH),
        // keeping the last byte back until it has been long enough and the competitor stopped;
        // then the rest, so the upload completes only after that.
        const trickle = (async () => {
          while (sent < video.length) {
            enough ||=
              Date.now() - began > 2 * LEASE.tusLeaseStaleMs &&
              (!target.leased || refused.includes(423));
            const left = video.length - sent;
            const n = enough && quiet ? left : left > 2048 ? 2048 : left > 1 ? 1 : 0;
            body.push(video.subarray(sent, sent + n));
            sent += n;
            await new Promise((r) => setTimeout(r, left > 2048 ? 100 : 1000));
          }
          body.push(null);
        })();
        if (target.leased) {
          const other = await secondThread(s);
          onTestFinished(other.close);
          // The competitor starts once the trickle holds the lease: before, its PATCH is simply
          // first (a loaded machine once let it write and answer 204 before the trickle's write
          // took the lease; the trickle would then have got 409).
          await vi.waitFor(async () => expect(await target.leaseHeld?.(s, id)).toBe(true), {
            timeout: 60_000,
            interval: 100,
          });
          while (!enough) {
            // Another client's bytes at the offset the server reports now, on another thread,
            // never past the declared length (that is 413 before any lock is asked).
            const at = await tusOffset(other.url, sessionId, loc);
            const junk = randomBytes(Math.min(1000, video.length - at));
            const r = await tusPatch(other.url, sessionId, loc, at, junk, junk.length);
            expect([409, 423], r.body).toContain(r.status);
            refused.push(r.status);
            await new Promise((r) => setTimeout(r, 300));
          }
          quiet = true;
          expect(refused).toContain(423);
        }
        await trickle;
        const r = await slow;
        expect(r.status, r.body).toBe(204);
        const v = await fetch(`${s.url}/videos/${vid}`);
        expect(Buffer.from(await v.arrayBuffer()).equals(video)).toBe(true);
        await vi.waitFor(async () => expect(await target.stored(s)).toEqual([]), {
          timeout: 60_000,
          interval: 200,
        });
      },
      TEST_MS,
    );
  });
}
