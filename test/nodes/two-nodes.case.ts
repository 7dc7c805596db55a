/**
 * Two full nodes (two `video-server start` processes, every service in each) on one MongoDB
 * (the dev server) and one blob store, behind the shipped deploy/nginx.conf (real Debian nginx,
 * TLS on loopback). Run against S3 (SeaweedFS) and GridFS by the two `two-nodes-*.test.ts`.
 *
 * Hand-offs are observations of the real system (a multipart upload exists in the bucket, a
 * deletion record is gone), polled with generous deadlines; nothing sleeps and hopes.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropMongoTestDb, mongoTestUri } from '../helpers/mongo.js';
import { freePorts } from '../helpers/ports.js';
import { startTestServer, strayOutput, type TestServer } from '../helpers/server.js';
import { fakeMp4 } from '../http/stack.js';
import { createVideo, rawTls, Site, signUp, Tus } from './client.js';
import { type Nginx, startNginx } from './nginx.js';

const MIB = 1024 * 1024;
/** A real video (the server probes tus uploads with ffprobe on completion). */
const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));
/** Per test: each drives several processes on a shared 2-core machine. */
const TEST_MS = 300_000;

export interface BlobBackend {
  /** Environment of both nodes for this store (BLOB_STORE and its settings). */
  env: Record<string, string>;
  /** Committed objects holding this video (0 or 1). */
  objects(vid: string, mongoUri: string): Promise<number>;
  /** True while an upload of `vid` is in progress in the store (parts or chunks written). */
  uploading(vid: string, mongoUri: string): Promise<boolean>;
  /** tus uploads in progress live in shared storage (S3, MongoDB), so any node resumes them. */
  tusAcrossNodes: boolean;
  /** What tus left in shared storage besides committed blobs (must be nothing once done). */
  tusLeftovers?(mongoUri: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Polls `check` until it returns true; fails after `timeoutMs` with `what`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Stats {
  queue: { pending: number; dead: number };
  runners: Record<string, { done: number }> | null;
}

/** One scheduler token for the whole site: every node's api may call any node's scheduler. */
const SCHEDULER_TOKEN = randomBytes(24).toString('base64url');

async function stats(node: TestServer): Promise<Stats> {
  const r = await fetch(`${node.urls.scheduler}/stats`, {
    headers: { authorization: `Bearer ${SCHEDULER_TOKEN}` },
  });
  if (r.status !== 200) throw new Error(`scheduler /stats ${r.status}: ${await r.text()}`);
  return (await r.json()) as Stats;
}

const hostPort = (url: string) => new URL(url).host;

export function describeTwoNodes(name: string, open: () => Promise<BlobBackend>): void {
  describe(`two nodes behind nginx, one MongoDB, blobs on ${name}`, () => {
    let backend: BlobBackend;
    let mongoUri: string;
    let a: TestServer;
    let b: TestServer;
    let nginx: Nginx;
    let siteA: Site;
    let siteB: Site;
    let front: Site;
    let user: { name: string; id: string; cookie: string };
    const kept: { vid: string; data: Buffer } = { vid: '', data: Buffer.alloc(0) };

    beforeAll(async () => {
      backend = await open();
      mongoUri = mongoTestUri('nodes');
      const env = {
        ...backend.env,
        MONGODB_URI: mongoUri,
        SCHEDULER_INTERVAL_MS: '200',
        SCHEDULER_TOKEN,
        // nginx runs on this host: its X-Forwarded-* give the public origin and client address.
        TRUST_PROXY: 'loopback',
      };
      [a, b] = await Promise.all([startTestServer({ env }), startTestServer({ env })]);
      const [httpPort, httpsPort] = await freePorts(2);
      nginx = await startNginx([hostPort(a.urls.web!), hostPort(b.urls.web!)], {
        http: httpPort!,
        https: httpsPort!,
      });
      siteA = new Site(a.urls.web!);
      siteB = new Site(b.urls.web!);
      front = new Site(nginx.https, nginx.ca);
    }, 600_000);
    afterAll(async () => {
      await nginx?.stop();
      await Promise.all([a?.stop(), b?.stop()]);
      await backend?.stop();
      if (mongoUri) await dropMongoTestDb(mongoUri).catch(() => {});
    });

    it(
      'sign up and upload (multipart and tus) on A; ranges on B and via nginx; comment and delete on B: gone once',
      async () => {
        const u = await signUp(siteA, 'alice');
        user = { name: 'alice', ...u };
        const vid = await createVideo(siteA, user, 'big one');
        const data = fakeMp4(10 * MIB + 777); // above the S3 part size: a multipart upload
        const up = await siteA.upload(vid, data, user.cookie);
        expect(up.status, up.body.toString()).toBe(201);

        for (const site of [siteB, front]) {
          const whole = await site.get(`/videos/${vid}`);
          expect(whole.status).toBe(200);
          expect(whole.body.equals(data)).toBe(true);
          for (const [s, e] of [
            [0, MIB - 1],
            [8 * MIB - 5, 9 * MIB + 4], // across the first part boundary
            [data.length - 100, data.length - 1],
          ] as const) {
            const r = await site.get(`/videos/${vid}`, { range: `bytes=${s}-${e}` });
            expect(r.status).toBe(206);
            expect(r.headers['content-range']).toBe(`bytes ${s}-${e}/${data.length}`);
            expect(r.body.equals(data.subarray(s, e + 1)), `${s}-${e}`).toBe(true);
          }
        }

        // A resumable (tus) upload done entirely on A is served byte-exact by B and by nginx
        // (every store: tus stages on the receiving node, the committed blob is shared).
        const clip = await readFile(SAMPLE);
        const tusVid = await createVideo(siteA, user, 'tus on A');
        const onA = new Tus(siteA, user.cookie);
        const tusPath = await onA.create(tusVid, clip.length);
        const sent = await onA.patch(tusPath, 0, clip);
        expect(sent.status, sent.body.toString()).toBe(204);
        for (const site of [siteB, front]) {
          const got = await site.get(`/videos/${tusVid}`);
          expect(got.status).toBe(200);
          expect(got.body.equals(clip)).toBe(true);
          const tail = await site.get(`/videos/${tusVid}`, { range: 'bytes=-100' });
          expect(tail.status).toBe(206);
          expect(tail.body.equals(clip.subarray(clip.length - 100))).toBe(true);
        }

        // A's session works on B: sessions live in MongoDB.
        const c = await siteB.relay(
          `/videos/${vid}/comments`,
          'POST',
          { author_id: user.id, content: 'seen on B' },
          user.cookie,
        );
        expect(c.status, c.body.toString()).toBe(201);
        const list = await siteA.relay(`/videos/${vid}/comments`, 'GET', undefined, user.cookie);
        expect(JSON.stringify(list.json())).toContain('seen on B');

        const doneBefore = await totalDone();
        expect(await backend.objects(vid, mongoUri)).toBe(1);
        const del = await siteB.relay(
          `/user/${user.name}/videos/${vid}`,
          'DELETE',
          undefined,
          user.cookie,
        );
        expect(del.status, del.body.toString()).toBe(204);
        expect((await siteA.get(`/videos/${vid}`)).status).toBe(404); // hidden at once, everywhere
        await until(
          'the object to leave the store',
          async () => (await backend.objects(vid, mongoUri)) === 0,
        );
        await until('the deletion record to go', async () => {
          const [sa, sb] = await Promise.all([stats(a), stats(b)]);
          return sa.queue.pending === 0 && sb.queue.pending === 0;
        });
        // Both schedulers ran rounds; exactly one deletion completed (leases + fencing).
        expect((await totalDone()) - doneBefore).toBe(1);
        const [sa, sb] = await Promise.all([stats(a), stats(b)]);
        expect(sa.runners?.['video-cleanup']).toBeDefined();
        expect(sb.runners?.['video-cleanup']).toBeDefined();
      },
      TEST_MS,
    );

    async function totalDone(): Promise<number> {
      const all = await Promise.all([stats(a), stats(b)]);
      return all.reduce((n, s) => n + (s.runners?.['video-cleanup']?.done ?? 0), 0);
    }

    it(
      'nginx: Secure cookie over TLS, public origin accepted, HTTP/1.0 served, duplicate Content-Length refused',
      async () => {
        const u = await signUp(front, 'bob');
        expect(u.setCookie).toMatch(/;\s*Secure/i);
        const bob = { name: 'bob', ...u };
        const vid = await createVideo(front, bob, 'via nginx');
        const data = fakeMp4(3 * MIB + 5);
        const up = await front.upload(vid, data, bob.cookie);
        expect(up.status, up.body.toString()).toBe(201);
        kept.vid = vid;
        kept.data = data;

        const h10 = await rawTls(
          nginx.httpsPort,
          nginx.ca,
          `GET /videos/${vid} HTTP/1.0\r\nRange: bytes=100-199\r\n\r\n`,
        );
        const split = h10.indexOf('\r\n\r\n');
        expect(h10.subarray(0, split).toString()).toMatch(/^HTTP\/1\.1 206 /);
        expect(h10.subarray(split + 4).equals(data.subarray(100, 200))).toBe(true);

        const dup = await rawTls(
          nginx.httpsPort,
          nginx.ca,
          'POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
        );
        expect(dup.toString()).toMatch(/^HTTP\/1\.1 400 /);

        const plain = await new Promise<http.IncomingMessage>((resolve, reject) =>
          http.get(`${nginx.http}/videos/${vid}`, resolve).on('error', reject),
        );
        plain.resume();
        expect(plain.statusCode).toBe(301);
        expect(plain.headers.location).toBe(`https://127.0.0.1/videos/${vid}`);
      },
      TEST_MS,
    );

    it(
      'SIGKILL node A mid-upload: B serves everything acknowledged, nothing partial is visible; with S3 or GridFS, tus resumes on B',
      async () => {
        const vid = await createVideo(siteA, user, 'interrupted');
        const { body: head } = headOfForm();
        const req = http.request(`${a.urls.web}/upload/${vid}`, {
          method: 'POST',
          headers: {
            'content-type': FORM_TYPE,
            'content-length': String(head.length + 20 * MIB),
            cookie: user.cookie,
            origin: a.urls.web!,
          },
        });
        const failed = new Promise<void>((resolve) => req.on('error', () => resolve()));
        req.write(head);
        const chunk = fakeMp4(MIB);
        // Send 12 MiB of the announced 20, then wait until the store holds some of it.
        for (let i = 0; i < 12; i++) {
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        }
        await until('the interrupted upload to reach the store', () =>
          backend.uploading(vid, mongoUri),
        );
        // A tus upload half done on A (acknowledged: 204 with its offset).
        const clip = await readFile(SAMPLE);
        const half = Math.floor(clip.length / 2);
        const tusVid = await createVideo(siteA, user, 'resumable');
        const onA = new Tus(siteA, user.cookie);
        const upload = await onA.create(tusVid, clip.length);
        const first = await onA.patch(upload, 0, clip.subarray(0, half));
        expect(first.status, first.body.toString()).toBe(204);
        expect(first.headers['upload-offset']).toBe(String(half));

        a.child.kill('SIGKILL');
        await failed;

        if (backend.tusAcrossNodes) {
          const onB = new Tus(siteB, user.cookie);
          expect(await onB.offset(upload)).toEqual({ status: 200, offset: half });
          const rest = await onB.patch(upload, half, clip.subarray(half));
          expect(rest.status, rest.body.toString()).toBe(204);
          const got = await siteB.get(`/videos/${tusVid}`);
          expect(got.status).toBe(200);
          expect(got.body.equals(clip)).toBe(true);
          expect(await backend.tusLeftovers?.(mongoUri)).toEqual([]);
        }

        expect(await backend.objects(vid, mongoUri)).toBe(0);
        expect((await siteB.get(`/videos/${vid}`)).status).toBe(404);
        const r = await siteB.get(`/videos/${kept.vid}`, { range: 'bytes=0-65535' });
        expect(r.status).toBe(206);
        expect(r.body.equals(kept.data.subarray(0, 65536))).toBe(true);
        // nginx steps over the dead node for reads.
        for (let i = 0; i < 4; i++) {
          const w = await front.get(`/videos/${kept.vid}`);
          expect(w.status).toBe(200);
          expect(w.body.equals(kept.data)).toBe(true);
        }
        expect(
          (await front.relay(`/user/${user.name}`, 'GET', undefined, user.cookie)).status,
        ).toBe(200);
      },
      TEST_MS,
    );

    it('each node wrote JSON lines only, nothing on stderr (Node’s warnings are log lines too)', () => {
      for (const node of [a!, b!]) expect(strayOutput(node.stdout(), node.stderr())).toEqual([]);
    });
  });
}

const BOUNDARY = '----vsnodes7d1f';
const FORM_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;
function headOfForm(): { body: Buffer } {
  return {
    body: Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
    ),
  };
}
