/**
 * Expiry from the last write over loopback, run on fs, GridFS and S3 by
 * tus-store-{fs,gridfs,s3}.test.ts (the resume cases are tus-resume.case.ts').
 */
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { tusUploadStore } from '../../src/http/stream/tus/index.js';
import { fakeMp4 } from './stack.js';
import { tusCreate, tusHead, tusOffset, tusPatch } from './tus-client.js';
import type { TusResumeTarget } from './tus-resume.case.js';

const TEST_MS = 240_000;

/**
 * Expiry counted from the last write (the tus expiration extension), on the stores that do so:
 * an upload written to every little while outlives TUS_EXPIRY_MS from its creation — PATCHes go
 * on being accepted, each `Upload-Expires` later than the creation's, and the lifecycle sweep
 * leaves it alone — and, once left alone, it expires (410) and the sweep removes it.
 */
export function describeTusActiveExpiry(name: string, target: TusResumeTarget): void {
  describe(`tus expiry from the last write: ${name}`, () => {
    const EXPIRY_MS = 8000;
    it(
      'an upload written to keeps living past its creation expiry, then expires when left',
      async () => {
        const s = await target.start({ tusExpiryMs: EXPIRY_MS });
        onTestFinished(() => s.close());
        const { userId, sessionId } = await s.user();
        const vid = await s.video(userId);
        const video = fakeMp4(400_000);
        const piece = 1000;
        const created = await tusCreate(
          s.url,
          sessionId,
          video.length,
          vid,
          {},
          video.subarray(0, piece),
        );
        expect(created.status).toBe(201);
        const loc = created.headers.location as string;
        const firstExpiry = Date.parse(created.headers['upload-expires'] as string);
        const store = tusUploadStore(s.ctx.config, s.ctx.blobs);
        let at = piece;
        let lastExpiry = firstExpiry;
        // A piece every 250 ms until well past the expiry counted from creation.
        while (Date.now() < firstExpiry + EXPIRY_MS / 2) {
          const r = await tusPatch(
            s.url,
            sessionId,
            loc,
            at,
            video.subarray(at, at + piece),
            piece,
          );
          expect(r.status, r.body).toBe(204);
          at += piece;
          lastExpiry = Date.parse(r.headers['upload-expires'] as string);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        expect(lastExpiry).toBeGreaterThan(firstExpiry);
        expect(await store.deleteExpired()).toBe(0); // active: the sweep leaves it
        expect(await tusOffset(s.url, sessionId, loc)).toBe(at);

        // Left alone, it expires from its last write, and the sweep removes it.
        await vi.waitFor(
          async () => expect((await tusHead(s.url, sessionId, loc)).status).toBe(410),
          { timeout: 60_000, interval: 250 },
        );
        await vi.waitFor(
          async () => {
            await store.deleteExpired();
            expect(await target.stored(s)).toEqual([]);
          },
          { timeout: 60_000, interval: 250 },
        );
        expect((await tusHead(s.url, sessionId, loc)).status).toBe(404);
      },
      TEST_MS,
    );
  });
}
