/**
 * Generated hostile HTTP/1.1 requests for the socket-level fuzz test: an upload (multipart or raw,
 * to the stream service or through the web origin) or an `/api` relay call, then mangled —
 * boundaries missing or wrong, parts truncated or renamed, garbage inserted, the body cut, and
 * the framing made inconsistent (Content-Length short/long/duplicated, odd Transfer-Encoding,
 * bad chunk sizes) — and written in a few pieces.
 */
import fc from 'fast-check';

export interface Target {
  streamPort: number;
  webPort: number;
  webOrigin: string;
  sessionId: string;
  userName: string;
  videoId: string;
}

export interface HostileRequest {
  port: number;
  /** The bytes, already split into the writes to make. */
  writes: Buffer[];
  /** For failure messages. */
  label: string;
}

const FRAMINGS = [
  'cl',
  'cl-short',
  'cl-long',
  'cl-dup',
  'cl-dup-diff',
  'chunked',
  'chunked-bad-size',
  'te-gzip',
  'cl+te',
  'none',
] as const;

const partArb = fc.record({
  name: fc.constantFrom('file', 'name', 'description', '', 'fi"le', 'x'.repeat(300)),
  filename: fc.option(fc.constantFrom('a.mp4', '', '../../etc/passwd', 'v.webm'), {
    nil: undefined,
  }),
  size: fc.nat({ max: 20_000 }),
  video: fc.boolean(),
});

const caseArb = fc.record({
  kind: fc.constantFrom('stream-upload', 'web-upload', 'relay'),
  multipart: fc.boolean(),
  parts: fc.array(partArb, { minLength: 0, maxLength: 4 }),
  boundary: fc.constantFrom('ok', 'missing', 'empty', 'mismatch', 'quoted'),
  finalBoundary: fc.boolean(),
  relayUrl: fc.constantFrom('/user/NAME/videos', '/session', '//evil/x', '/videos', '/x/../user'),
  relayMethod: fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH', 'TRACE'),
  relayBody: fc.jsonValue({ maxDepth: 2 }),
  cutAt: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  garbage: fc.option(
    fc.record({
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      bytes: fc.uint8Array({ maxLength: 64 }),
    }),
    { nil: undefined },
  ),
  framing: fc.constantFrom(...FRAMINGS),
  pieces: fc.integer({ min: 1, max: 4 }),
  noise: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,12}$/), fc.string({ maxLength: 40 })), {
    maxLength: 3,
  }),
});

export type FuzzCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function fileBytes(size: number, video: boolean): Buffer {
  const b = Buffer.alloc(size, 0x61);
  if (video && size >= 12) {
    b.writeUInt32BE(24, 0);
    b.write('ftypisom', 4, 'latin1');
  }
  return b;
}

function multipartBody(c: FuzzCase, boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const p of c.parts) {
    let h = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) h += `; filename="${p.filename}"`;
    chunks.push(Buffer.from(`${h}\r\n\r\n`), fileBytes(p.size, p.video), Buffer.from('\r\n'));
  }
  if (c.finalBoundary) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

function contentTypeFor(c: FuzzCase, boundary: string): string {
  if (!c.multipart) return 'video/mp4';
  switch (c.boundary) {
    case 'missing':
      return 'multipart/form-data;';
    case 'empty':
      return 'multipart/form-data; boundary=';
    case 'mismatch':
      return 'multipart/form-data; boundary=other';
    case 'quoted':
      return `multipart/form-data; boundary="${boundary}"`;
    default:
      return `multipart/form-data; boundary=${boundary}`;
  }
}

function mangle(body: Buffer, c: FuzzCase): Buffer {
  let b = body;
  if (c.garbage) {
    const at = Math.floor(c.garbage.at * b.length);
    b = Buffer.concat([b.subarray(0, at), Buffer.from(c.garbage.bytes), b.subarray(at)]);
  }
  if (c.cutAt !== undefined) b = b.subarray(0, Math.floor(c.cutAt * b.length));
  return b;
}

function frame(body: Buffer, framing: FuzzCase['framing']): { headers: string[]; payload: Buffer } {
  const n = body.length;
  const chunked = (size: string) =>
    Buffer.concat([Buffer.from(`${size}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  switch (framing) {
    case 'cl':
      return { headers: [`Content-Length: ${n}`], payload: body };
    case 'cl-short':
      return { headers: [`Content-Length: ${Math.floor(n / 2)}`], payload: body };
    case 'cl-long':
      return { headers: [`Content-Length: ${n + 100}`], payload: body };
    case 'cl-dup':
      return { headers: [`Content-Length: ${n}`, `Content-Length: ${n}`], payload: body };
    case 'cl-dup-diff':
      return { headers: [`Content-Length: ${n}`, `Content-Length: ${n + 1}`], payload: body };
    case 'chunked':
      return { headers: ['Transfer-Encoding: chunked'], payload: chunked(n.toString(16)) };
    case 'chunked-bad-size':
      return {
        headers: ['Transfer-Encoding: chunked'],
        payload: chunked(`${(n + 7).toString(16)}zz`),
      };
    case 'te-gzip':
      return { headers: ['Transfer-Encoding: gzip'], payload: chunked(n.toString(16)) };
    case 'cl+te':
      return {
        headers: [`Content-Length: ${n}`, 'Transfer-Encoding: chunked'],
        payload: chunked(n.toString(16)),
      };
    default:
      return { headers: [], payload: body };
  }
}

function split(bytes: Buffer, pieces: number): Buffer[] {
  const size = Math.ceil(bytes.length / pieces) || 1;
  const out: Buffer[] = [];
  for (let off = 0; off < bytes.length; off += size) out.push(bytes.subarray(off, off + size));
  return out.length > 0 ? out : [bytes];
}

export function build(t: Target, c: FuzzCase): HostileRequest {
  const boundary = 'fuzzB0undary';
  let path: string;
  let port: number;
  let body: Buffer;
  const headers = ['Host: 127.0.0.1'];
  if (c.kind === 'relay') {
    port = t.webPort;
    path = '/api';
    const url = c.relayUrl.replace('NAME', t.userName);
    body = Buffer.from(JSON.stringify({ url, method: c.relayMethod, req_body: c.relayBody }));
    headers.push(
      'Content-Type: application/json',
      `Origin: ${t.webOrigin}`,
      `Cookie: vs_sid=${t.sessionId}`,
    );
  } else {
    body = c.multipart ? multipartBody(c, boundary) : fileBytes(c.parts[0]?.size ?? 1000, true);
    headers.push(`Content-Type: ${contentTypeFor(c, boundary)}`);
    path = `/upload/${t.videoId}`;
    if (c.kind === 'stream-upload') {
      port = t.streamPort;
      headers.push(`X-Session-Id: ${t.sessionId}`);
    } else {
      port = t.webPort;
      headers.push(`Origin: ${t.webOrigin}`, `Cookie: vs_sid=${t.sessionId}`);
    }
  }
  for (const [k, v] of c.noise) headers.push(`X-${k}: ${v.replace(/[\r\n]/g, ' ')}`);
  const { headers: framingHeaders, payload } = frame(mangle(body, c), c.framing);
  const head = `POST ${path} HTTP/1.1\r\n${[...headers, ...framingHeaders].join('\r\n')}\r\n\r\n`;
  const bytes = Buffer.concat([Buffer.from(head, 'latin1'), payload]);
  return {
    port,
    writes: split(bytes, c.pieces),
    label: `${c.kind} ${c.multipart ? `multipart(${c.boundary})` : 'raw'} ${c.framing}`,
  };
}

export { caseArb };
