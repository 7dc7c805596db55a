import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { posterBlobId } from '../../src/store/index.js';
import type { Stack } from './stack.js';
import { tusCreate, tusPatch } from './tus-client.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));
/** Over one S3 part (8 MiB): the rejected upload has started a multipart upload. */
const JUNK_BYTES = 9 * 1024 * 1024 + 17;
/** Not a video, always: random bytes are, once in a few hundred, something ffprobe can read. */
const junk = () => Buffer.alloc(JUNK_BYTES, 7);
const TEST_MS = 120_000;

export function describeReplace(name: string, start: () => Promise<Stack>): void {
  describe(`bad re-upload keeps the previous video: ${name}`, () => {
    let s: Stack;
    let sample: Buffer;
    beforeAll(async () => {
      s = await start();
      sample = await readFile(SAMPLE);
    }, 600_000);
    afterAll(() => s?.close());

    /** A video of its own with `sample` uploaded (201), and what a client sees of it. */
    async function good() {
      const { userId, sessionId } = await s.user();
      const vid = await s.video(userId);
      const r = await fetch(`${s.url}/upload/${vid}`, {
        method: 'POST',
        headers: { 'content-type': 'video/webm', 'x-session-id': sessionId },
        body: sample,
      });
      expect(r.status).toBe(201);
      return { vid, sessionId, before: await seen(vid) };
    }

    async function seen(vid: string) {
      const v = await fetch(`${s.url}/videos/${vid}`);
      const poster = await s.stores.blobs.stat(posterBlobId(vid));
      const record = await s.stores.records.getVideo(vid);
      return {
        status: v.status,
        etag: v.headers.get('etag'),
        type: v.headers.get('content-type'),
        bytes: Buffer.from(await v.arrayBuffer()),
        poster: poster?.etag,
        ready: record?.ready,
        durationMs: record?.durationMs,
      };
    }

    /** No local copy of an upload is left in the temp directory by this process. */
    async function stagedLeft(): Promise<string[]> {
      const mine = `vs-stage-${process.pid}-`;
      return (await readdir(tmpdir())).filter((n) => n.startsWith(mine));
    }

    /** The video still is what `before` saw: bytes, ETag, type, poster, metadata; no copy left. */
    async function expectUnchanged(vid: string, before: Awaited<ReturnType<typeof seen>>) {
      const after = await seen(vid);
      expect(after.bytes.equals(sample)).toBe(true);
      expect({ ...after, bytes: 0 }).toEqual({ ...before, bytes: 0 });
      expect(await stagedLeft()).toEqual([]);
    }

    it(
      'POST /upload of junk over a video: 415, the old bytes, ETag, poster and metadata stay',
      async () => {
        const { vid, sessionId, before } = await good();
        expect(before).toMatchObject({ status: 200, ready: true, type: 'video/webm' });
        expect(before.bytes.equals(sample)).toBe(true);
        expect(before.poster).toBeDefined();
        const r = await fetch(`${s.url}/upload/${vid}`, {
          method: 'POST',
          headers: { 'content-type': 'video/mp4', 'x-session-id': sessionId },
          body: junk(),
        });
        expect(r.status).toBe(415);
        expect(((await r.json()) as { error: string }).error).toMatch(/^Not a readable video/);
        await expectUnchanged(vid, before);
      },
      TEST_MS,
    );

    it(
      'a tus upload of junk over a video: 415, the old video stays',
      async () => {
        const { vid, sessionId, before } = await good();
        const bad = junk();
        const created = await tusCreate(s.url, sessionId, bad.length, vid);
        expect(created.status).toBe(201);
        const loc = created.headers.location as string;
        const r = await tusPatch(s.url, sessionId, loc, 0, bad, bad.length);
        expect(r.status).toBe(415);
        await expectUnchanged(vid, before);
      },
      TEST_MS,
    );

    it(
      'a good re-upload still replaces the video',
      async () => {
        const { vid, sessionId } = await good();
        const again = await fetch(`${s.url}/upload/${vid}`, {
          method: 'POST',
          headers: { 'content-type': 'video/webm', 'x-session-id': sessionId },
          body: sample,
        });
        expect(again.status).toBe(201);
        const after = await seen(vid);
        expect(after.bytes.equals(sample)).toBe(true);
        expect(after.ready).toBe(true);
        expect(after.poster).toBeDefined();
        expect(await stagedLeft()).toEqual([]);
      },
      TEST_MS,
    );
  });
}
