/**
 * A small HTTP(S) client for the many-node tests: the web origin's `/api` relay, multipart
 * uploads, ranged reads, and raw TLS exchanges (HTTP/1.0, malformed framing) against nginx.
 * node:http(s) rather than fetch: the TLS front uses a self-signed certificate passed as `ca`.
 */
import http from 'node:http';
import https from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { multipart } from '../http/raw-client.js';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: test JSON, asserted field by field
  json(): any;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Trusted certificate for https URLs. */
  ca?: string;
}

export function call(url: string, o: CallOptions = {}): Promise<Reply> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      {
        method: o.method ?? 'GET',
        headers: o.headers,
        agent: false,
        ...(o.ca ? { ca: o.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body.toString('utf8')),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A site: the web origin of one node, or nginx's TLS front. `cookie` is kept per site user. */
export class Site {
  constructor(
    readonly origin: string,
    readonly ca?: string,
  ) {}

  /** The seed's `/api` relay: `{url, method, req_body}`. */
  relay(path: string, method: string, body?: unknown, cookie?: string): Promise<Reply> {
    return call(`${this.origin}/api`, {
      method: 'POST',
      ca: this.ca,
      headers: {
        'content-type': 'application/json',
        origin: this.origin,
        ...(cookie ? { cookie } : {}),
      },
      body: JSON.stringify({
        url: path,
        method,
        req_body: body === undefined ? '' : JSON.stringify(body),
      }),
    });
  }

  /** POST /upload/:vid as the page does (multipart field "file"). */
  upload(vid: string, data: Buffer, cookie: string): Promise<Reply> {
    const form = multipart([{ name: 'file', filename: 'clip.mp4', type: 'video/mp4', data }]);
    return call(`${this.origin}/upload/${vid}`, {
      method: 'POST',
      ca: this.ca,
      headers: { 'content-type': form.contentType, cookie, origin: this.origin },
      body: form.body,
    });
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return call(`${this.origin}${path}`, { ca: this.ca, headers });
  }
}

/** Signs up `name` through `site`; returns the cookie pair and the user id. */
export async function signUp(
  site: Site,
  name: string,
): Promise<{ cookie: string; id: string; setCookie: string }> {
  const reg = await site.relay('/user', 'POST', { user_name: name, pwd: 'a long enough password' });
  if (reg.status !== 201) throw new Error(`sign-up ${reg.status}: ${reg.body.toString()}`);
  const setCookie = String(reg.headers['set-cookie'] ?? '');
  const cookie = setCookie.split(';')[0]!;
  const me = await site.relay(`/user/${name}`, 'GET', undefined, cookie);
  return { cookie, id: me.json().id as string, setCookie };
}

/** Creates a video record; returns its id. */
export async function createVideo(
  site: Site,
  user: { name: string; id: string; cookie: string },
  name: string,
): Promise<string> {
  const r = await site.relay(
    `/user/${user.name}/videos`,
    'POST',
    { author_id: user.id, name },
    user.cookie,
  );
  if (r.status !== 201) throw new Error(`create video ${r.status}: ${r.body.toString()}`);
  return r.json().id as string;
}

/** Writes `text` on a fresh TLS connection and returns everything the server sent until it closed. */
export function rawTls(port: number, ca: string, text: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: undefined });
    const chunks: Buffer[] = [];
    s.on('secureConnect', () => s.write(text));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.setTimeout(60_000, () => s.destroy(new Error('raw TLS exchange timed out')));
  });
}

/** tus 1.0 on a site's web origin (cookie session, same-origin requests). */
export class Tus {
  constructor(
    readonly site: Site,
    readonly cookie: string,
  ) {}

  #headers(extra: Record<string, string>): Record<string, string> {
    return { 'tus-resumable': '1.0.0', cookie: this.cookie, origin: this.site.origin, ...extra };
  }

  /** Creates an upload for `vid`; resolves to its path (`/files/<id>`). */
  async create(vid: string, length: number): Promise<string> {
    const r = await call(`${this.site.origin}/files/`, {
      method: 'POST',
      ca: this.site.ca,
      headers: this.#headers({
        'upload-length': String(length),
        'upload-metadata': `video_id ${Buffer.from(vid).toString('base64')}`,
      }),
    });
    if (r.status !== 201) throw new Error(`tus create ${r.status}: ${r.body.toString()}`);
    return new URL(String(r.headers.location), this.site.origin).pathname;
  }

  /** The server's offset for the upload (HEAD). */
  async offset(path: string): Promise<{ status: number; offset: number }> {
    const r = await call(`${this.site.origin}${path}`, {
      method: 'HEAD',
      ca: this.site.ca,
      headers: this.#headers({}),
    });
    return { status: r.status, offset: Number(r.headers['upload-offset'] ?? Number.NaN) };
  }

  async patch(path: string, offset: number, data: Buffer): Promise<Reply> {
    return call(`${this.site.origin}${path}`, {
      method: 'PATCH',
      ca: this.site.ca,
      headers: this.#headers({
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
      }),
      body: data,
    });
  }
}
