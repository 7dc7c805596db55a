/**
 * The shared helpers other services reuse, over real HTTP: readBody's cap (declared and counted),
 * parseJson's 400, the Exchange on HEAD and after a client abort, and the native-addon loader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exchange,
  HttpError,
  loadUws,
  mountNotFound,
  parseJson,
  readBody,
  uwsBinaryName,
} from '../../src/http/common/index.js';
import { WireHeaders } from '../../src/http/common/wire.js';
import { rawRequest } from './raw-client.js';
import { request } from './stack.js';

const uws = loadUws();
const app = uws.App();
let port = 0;
let aborted = 0;
const closed: string[] = [];

beforeAll(() => {
  app.post('/echo', (res, req) => {
    const x = exchange(res);
    x.onClose((wasAborted) => {
      if (wasAborted) aborted++;
    });
    readBody(x, { maxBytes: 1024, contentLength: req.getHeader('content-length') })
      .then((buf) => parseJson<{ n: number }>(buf))
      .then(
        (body) => x.json(200, { got: body.n }),
        (err: unknown) => x.error(err, undefined, err instanceof HttpError && err.status === 413),
      );
  });
  app.get('/listeners', (res) => {
    const x = exchange(res);
    for (const name of ['first', 'second', 'third']) x.onClose(() => closed.push(name));
    setImmediate(() =>
      x.send(204, '', new WireHeaders({ 'X-Fixed': 'yes', 'Content-Type': 'text/plain' })),
    );
  });
  app.head('/head', (res) => {
    const x = exchange(res, true);
    setImmediate(() => x.text(200, 'twelve bytes'));
  });
  mountNotFound(app);
  app.listen('127.0.0.1', 0, (s) => {
    port = uws.us_socket_local_port(s as never);
  });
});
afterAll(() => {
  (app as unknown as { close(): void }).close();
});

describe('readBody + parseJson', () => {
  it('reads a JSON body', async () => {
    const r = await request(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: '{"n":42}' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ got: 42 });
  });

  it('malformed JSON, bytes that are not UTF-8, or JSON that is not an object → 400 "001"', async () => {
    const cases: Array<[string | Buffer, string]> = [
      ['{nope', 'Request body is not valid JSON'],
      [
        Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
        'Request body is not valid JSON',
      ],
      ['[1,2]', 'Request body must be a JSON object'],
      ['null', 'Request body must be a JSON object'],
    ];
    for (const [body, error] of cases) {
      const r = await request(`http://127.0.0.1:${port}/echo`, { method: 'POST', body });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body.toString())).toEqual({ error, error_code: '001' });
    }
  });

  it('over the cap by Content-Length, or counted on a chunked body → 413 "008"', async () => {
    const big = Buffer.alloc(5000, 0x20);
    const declared = await rawRequest(port, {
      path: '/echo',
      headers: { 'Content-Length': big.length },
      body: big,
    });
    expect(declared!.status).toBe(413);
    expect(JSON.parse(declared!.body).error_code).toBe('008');
    const chunked = await rawRequest(port, { path: '/echo', headers: {}, body: big, chunk: 700 });
    expect(chunked!.status).toBe(413);
  });

  it('a client gone mid-body is an abort, not a crash; the server keeps serving', async () => {
    const before = aborted;
    await rawRequest(port, {
      path: '/echo',
      headers: { 'Content-Length': 1000 },
      body: Buffer.alloc(1000, 0x20),
      cutAfter: 10,
    });
    await expect.poll(() => aborted).toBe(before + 1);
    const r = await request(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: '{"n":1}' });
    expect(r.status).toBe(200);
  });
});

describe('Exchange', () => {
  it('withholds the body of a HEAD answer sent after the handler returned, reporting its length', async () => {
    const r = await request(`http://127.0.0.1:${port}/head`, { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe('12');
    expect(r.body.length).toBe(0);
  });

  it('runs every close listener once, in order; a fixed header set goes out as given', async () => {
    const r = await request(`http://127.0.0.1:${port}/listeners`);
    expect(r.status).toBe(204);
    expect(r.headers['x-fixed']).toBe('yes');
    expect(r.headers['content-type']).toBe('text/plain');
    expect(closed).toEqual(['first', 'second', 'third']);
  });
});

describe('loadUws', () => {
  it('loads the native addon for this platform and ABI, never the fallback', () => {
    expect(uwsBinaryName()).toBe(
      `binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
    );
    expect(typeof uws.App).toBe('function');
    // The pure-Node fallback has no native listen-socket helpers.
    expect(typeof uws.us_socket_local_port).toBe('function');
  });
});
