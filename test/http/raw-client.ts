/**
 * A raw-socket HTTP/1.1 client for uploads: writes the body in chunks (waiting for drain) and stops
 * writing as soon as a response starts, so an early 413/415/401 is read instead of lost to a reset.
 */
import net from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawUpload {
  method?: string;
  path: string;
  headers: Record<string, string | number>;
  body: Buffer;
  /** Bytes per write. @default 64 KiB */
  chunk?: number;
  /** Send only this many body bytes, then destroy the socket (a truncated upload). */
  cutAfter?: number;
  /** Called after the cut-off bytes were written, before the socket is destroyed. */
  beforeCut?: () => Promise<void>;
}

function parse(raw: string): RawReply {
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(end + 4) };
}

/** Resolves with the reply, or with undefined for a cut upload. */
export function rawRequest(port: number, o: RawUpload): Promise<RawReply | undefined> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let raw = '';
    let responded = false;
    sock.on('data', (d) => {
      responded = true;
      raw += d.toString('latin1');
    });
    sock.on('error', (err) => {
      // A reset after the server answered and closed is fine: the reply is what counts.
      if (!responded && o.cutAfter === undefined) reject(err);
    });
    sock.on('close', () => resolve(o.cutAfter !== undefined ? undefined : parse(raw)));
    const head = [`${o.method ?? 'POST'} ${o.path} HTTP/1.1`, 'Host: x', 'Connection: close'];
    for (const [k, v] of Object.entries(o.headers)) head.push(`${k}: ${v}`);
    const chunked = !Object.keys(o.headers).some((k) => k.toLowerCase() === 'content-length');
    if (chunked) head.push('Transfer-Encoding: chunked');
    sock.once('connect', async () => {
      const write = (b: Buffer | string) =>
        new Promise<void>((r) => (sock.write(b) ? r() : sock.once('drain', () => r())));
      await write(`${head.join('\r\n')}\r\n\r\n`);
      const size = o.chunk ?? 64 * 1024;
      const limit = o.cutAfter ?? o.body.length;
      for (let off = 0; off < limit && !responded && !sock.destroyed; off += size) {
        const part = o.body.subarray(off, Math.min(off + size, limit));
        await write(
          chunked
            ? Buffer.concat([
                Buffer.from(`${part.length.toString(16)}\r\n`),
                part,
                Buffer.from('\r\n'),
              ])
            : part,
        );
      }
      if (o.cutAfter !== undefined) {
        await o.beforeCut?.();
        sock.destroy();
        return;
      }
      if (chunked && !responded && !sock.destroyed) sock.write('0\r\n\r\n');
    });
  });
}

/** A multipart/form-data body with the given parts. */
export function multipart(
  parts: Array<{ name: string; filename?: string; type?: string; data: Buffer | string }>,
): {
  body: Buffer;
  contentType: string;
} {
  const boundary = `----vs${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let h = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename) h += `; filename="${p.filename}"`;
    h += '\r\n';
    if (p.type) h += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${h}\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** One reply read off a keep-alive socket: headers, then Content-Length bytes of body. */
function readReply(sock: net.Socket): Promise<RawReply | 'closed'> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (r: RawReply | 'closed') => {
      sock.off('data', onData);
      sock.off('close', onClose);
      sock.off('error', onError);
      resolve(r);
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = parse(`${buf.subarray(0, end).toString('latin1')}\r\n\r\n`);
      const length = Number(head.headers['content-length'] ?? 0);
      if (buf.length < end + 4 + length) return;
      const rest = buf.subarray(end + 4 + length);
      if (rest.length > 0) sock.unshift(rest);
      done({ ...head, body: buf.subarray(end + 4, end + 4 + length).toString('latin1') });
    };
    const onClose = () => done('closed');
    const onError = (err: Error) => (buf.length > 0 ? undefined : reject(err));
    sock.on('data', onData);
    sock.once('close', onClose);
    sock.on('error', onError);
  });
}

/**
 * Sends each request whole in one write on one keep-alive connection, reading each reply before
 * the next; 'closed' where the server closed instead of answering (and for every later request).
 */
export async function rawKeepAlive(
  port: number,
  requests: Buffer[],
): Promise<Array<RawReply | 'closed'>> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const out: Array<RawReply | 'closed'> = [];
  try {
    for (const r of requests) {
      if (out.at(-1) === 'closed') {
        out.push('closed');
        continue;
      }
      const reply = readReply(sock);
      sock.write(r);
      out.push(await reply);
    }
  } finally {
    sock.destroy();
  }
  return out;
}

/** A request as bytes: the head (Content-Length added when a body is given) and the body. */
export function rawBytes(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body?: Buffer,
): Buffer {
  const head = [`${method} ${path} HTTP/1.1`, 'Host: x'];
  for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
  if (body) head.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body ?? Buffer.alloc(0)]);
}
