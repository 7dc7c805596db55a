/**
 * A raw tus 1.0 client for the tests (plain node:http, no library): create, HEAD for the offset,
 * PATCH a chunk from any byte source streamed with backpressure (never held whole in memory).
 */
import { request } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eventually } from './stack.js';

export interface TusReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body?: Readable | Buffer,
): Promise<TusReply> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers: { 'tus-resumable': '1.0.0', ...headers } });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else pipeline(body, req).catch(reject);
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function tusCreate(
  base: string,
  sid: string | undefined,
  size: number,
  videoId: string | undefined,
  extra: Record<string, string> = {},
  /** The first bytes, sent with the creation (creation-with-upload). */
  body?: Buffer,
) {
  const headers: Record<string, string | number> = { 'upload-length': size, ...extra };
  if (sid) headers['x-session-id'] = sid;
  if (videoId !== undefined)
    headers['upload-metadata'] = `video_id ${b64(videoId)},filename ${b64('a.mp4')}`;
  if (body !== undefined) headers['content-type'] = 'application/offset+octet-stream';
  return send(base, 'POST', '/files', headers, body);
}

export async function tusOffset(
  base: string,
  sid: string | undefined,
  location: string,
  extra: Record<string, string> = {},
): Promise<number> {
  const r = await send(base, 'HEAD', location, sid ? { 'x-session-id': sid, ...extra } : extra);
  if (r.status !== 200) throw new Error(`HEAD ${location} → ${r.status}`);
  return Number(r.headers['upload-offset']);
}

export function tusHead(base: string, sid: string | undefined, location: string) {
  return send(base, 'HEAD', location, sid ? { 'x-session-id': sid } : {});
}

export function tusPatch(
  base: string,
  sid: string | undefined,
  location: string,
  offset: number,
  body: Readable | Buffer,
  length: number,
  extra: Record<string, string> = {},
) {
  return send(
    base,
    'PATCH',
    location,
    {
      ...(sid ? { 'x-session-id': sid } : {}),
      ...extra,
      'upload-offset': offset,
      'content-type': 'application/offset+octet-stream',
      'content-length': length,
    },
    body,
  );
}

/**
 * Starts a PATCH at offset 0 announcing `announced` bytes, sends only `sent`, cuts the
 * connection once they are flushed to the socket (an interrupted upload), and resolves to the
 * offset HEAD reports once the server kept some of them.
 */
export async function tusCutPatch(
  base: string,
  sid: string,
  location: string,
  sent: Buffer,
  announced: number,
): Promise<number> {
  await new Promise<void>((resolve) => {
    const req = request(`${base}${location}`, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'x-session-id': sid,
        'upload-offset': 0,
        'content-type': 'application/offset+octet-stream',
        'content-length': announced,
      },
    });
    req.on('error', () => resolve());
    req.write(sent, () => {
      // Flushed to the socket: give the server the bytes, then go away mid-body.
      setImmediate(() => {
        req.destroy();
        resolve();
      });
    });
  });
  let offset = 0;
  await eventually(
    async () => {
      offset = await tusOffset(base, sid, location);
      return offset > 0;
    },
    'the server to keep the bytes it received',
    20_000,
  );
  return offset;
}

/**
 * A PATCH whose body the test feeds: it announces `length` bytes, sends what `send` is given and
 * never ends unless the test sends them all; `reply` settles when the server answers (also
 * mid-body), `cut` drops the rest.
 */
export function tusOpenPatch(
  base: string,
  sid: string,
  location: string,
  offset: number,
  length: number,
) {
  const body = new PassThrough();
  const reply = tusPatch(base, sid, location, offset, body, length);
  reply.catch(() => {});
  const send = (data: Buffer) => new Promise<void>((resolve) => body.write(data, () => resolve()));
  return {
    reply,
    send,
    cut: () => body.destroy(),
    /**
     * Goes on sending `bytes` from `from`, a few KiB at a time, until the server answers (so
     * uWS never drops the request as idle while the test waits for that answer); resolves to
     * the answer and the offset sent up to.
     */
    async trickle(bytes: Buffer, from: number) {
      let sent = from;
      const timer = setInterval(() => {
        void send(bytes.subarray(sent, sent + 4096));
        sent = Math.min(bytes.length, sent + 4096);
      }, 250);
      const answer = await reply.finally(() => clearInterval(timer));
      body.destroy();
      return { answer, sent };
    },
  };
}

/**
 * Sends the rest of `data` as tus-js-client does — HEAD for the offset, PATCH from there, again
 * on 409/423 (a lease or claim still held) — until the upload is whole (204), for at most
 * `boundMs`; any other answer fails at once. Timed with performance.now, which a test faking
 * Date leaves real (vi.waitFor would move a faked Date forward).
 */
export async function tusComplete(
  base: string,
  sid: string,
  location: string,
  data: Buffer,
  boundMs = 90_000,
): Promise<void> {
  const until = performance.now() + boundMs;
  for (;;) {
    const at = await tusOffset(base, sid, location);
    const rest = data.subarray(at);
    const r = await tusPatch(base, sid, location, at, rest, rest.length);
    if (r.status === 204) return;
    if (r.status !== 409 && r.status !== 423) throw new Error(`PATCH → ${r.status}: ${r.body}`);
    if (performance.now() > until) throw new Error(`still ${r.status} after ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
