/**
 * A 2.5 GB upload through tus on the web origin of the real server (`video-server start`), with
 * a raw client: 20 PATCHes of 128 MiB (each far under uWS's 10^9 Content-Length limit, which a
 * single request of this size would hit), the session in the web's cookie. The bytes are
 * generated while they are sent (a real tiny mp4, then a 2.5 GB `free` box whose every MiB is
 * stamped with its index), never held in memory; the end of the stored video is read back by
 * range and compared with what the generator says is there.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tusCreate, tusOffset, tusPatch } from './tus-client.js';

const TOTAL = 2.5e9;
const CHUNK = 128 * 1024 * 1024;
const MIB = 1024 * 1024;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    env: { MAX_UPLOAD_BYTES: String(3 * 1024 ** 3), HTTP_THREADS: '1' },
  });
});
afterAll(() => server?.stop());

/** The generated file: `head` (mp4 + free box header), then MiB blocks stamped with their index. */
function generator() {
  const ffmpeg = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string })
    .path;
  const mp4 = execFileSync(ffmpeg, [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x48:rate=10'],
    ...[
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+frag_keyframe+empty_moov',
      '-f',
      'mp4',
      'pipe:1',
    ],
  ]);
  const head = Buffer.alloc(mp4.length + 8);
  mp4.copy(head);
  head.writeUInt32BE(TOTAL - mp4.length, mp4.length);
  head.write('free', mp4.length + 4, 'latin1');
  const block = randomBytes(MIB);
  /** Bytes [start, start + len) of the file. */
  const bytesAt = (start: number, len: number): Buffer => {
    const out = Buffer.allocUnsafe(len);
    for (let done = 0; done < len; ) {
      const pos = start + done;
      if (pos < head.length) {
        done += head.copy(out, done, pos, Math.min(head.length, pos - start + len));
        continue;
      }
      const rel = pos - head.length;
      const index = Math.floor(rel / MIB);
      const stamped = Buffer.from(block);
      stamped.writeUInt32BE(index, 0);
      done += stamped.copy(out, done, rel % MIB, Math.min(MIB, (rel % MIB) + (len - done)));
    }
    return out;
  };
  /** A stream of [start, start + len), produced a MiB at a time as the socket drains. */
  const stream = (start: number, len: number) =>
    Readable.from(
      (function* () {
        for (let off = 0; off < len; off += MIB)
          yield bytesAt(start + off, Math.min(MIB, len - off));
      })(),
    );
  return { bytesAt, stream };
}

it('uploads 2.5 GB in 128 MiB PATCHes and reads the last bytes back by range', async () => {
  const web = server.urls.web!;
  const api = server.urls.api!;
  const name = `big${randomBytes(3).toString('hex')}`;
  const reg = await fetch(`${api}/user`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_name: name, pwd: 'correct horse' }),
  });
  const sid = ((await reg.json()) as { session_id: string }).session_id;
  const me = (await (
    await fetch(`${api}/user/${name}`, { headers: { 'x-session-id': sid } })
  ).json()) as { id: string };
  const created = await fetch(`${api}/user/${name}/videos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-session-id': sid },
    body: JSON.stringify({ author_id: me.id, name: 'big one' }),
  });
  const vid = ((await created.json()) as { id: string }).id;

  const gen = generator();
  // On the web origin the session is the cookie; the raw client sends it as the browser would.
  const cookie = `vs_sid=${sid}`;
  const c = await tusCreate(web, undefined, TOTAL, vid, { cookie });
  expect(c.status).toBe(201);
  const loc = c.headers.location as string;
  let offset = 0;
  while (offset < TOTAL) {
    const len = Math.min(CHUNK, TOTAL - offset);
    const r = await tusPatch(web, undefined, loc, offset, gen.stream(offset, len), len, { cookie });
    expect(r.status, r.body).toBe(204);
    offset = Number(r.headers['upload-offset']);
    if (offset < TOTAL) expect(await tusOffset(web, undefined, loc, { cookie })).toBe(offset);
  }
  expect(offset).toBe(TOTAL);

  const tail = 3 * MIB + 123;
  const r = await fetch(`${web}/videos/${vid}`, { headers: { range: `bytes=-${tail}` } });
  expect(r.status).toBe(206);
  expect(r.headers.get('content-range')).toBe(`bytes ${TOTAL - tail}-${TOTAL - 1}/${TOTAL}`);
  const got = Buffer.from(await r.arrayBuffer());
  expect(got.equals(gen.bytesAt(TOTAL - tail, tail))).toBe(true);
  const info = (await (await fetch(`${api}/videos/${vid}`)).json()) as Record<string, unknown>;
  expect(info).toMatchObject({ ready: true, width: 64, height: 48, poster_url: `/posters/${vid}` });
}, 900_000);
