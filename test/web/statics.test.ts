/** `/statics/*`: content types, validators, caching, and no way out of the static folder. */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountWeb } from '../../src/http/web/index.js';
import { startApp, type TestApp } from '../api/harness.js';

describe('static assets', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp([mountWeb], { only: ['web', 'api', 'stream'] });
  });
  afterAll(() => app?.stop());

  /** Raw path on the wire: fetch would normalise `..` away before sending. */
  function rawGet(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const u = new URL(app.url);
      const req = httpRequest({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves files with content types, validators and cache headers', async () => {
    const css = await fetch(`${app.url}/statics/css/site.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('no-cache');
    const etag = css.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const versioned = await fetch(`${app.url}/statics/css/site.css?v=${etag.slice(1, -1)}`);
    expect(versioned.headers.get('cache-control')).toContain('immutable');
    const again = await fetch(`${app.url}/statics/css/site.css`, {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect((await fetch(`${app.url}/statics/js/api.js`)).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((await fetch(`${app.url}/statics/img/logo.svg`)).headers.get('content-type')).toBe(
      'image/svg+xml',
    );
    const head = await fetch(`${app.url}/statics/css/site.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('keeps the connection usable after HEAD and 404 answers (keep-alive)', async () => {
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const u = new URL(app.url);
    const sockets = new Set<unknown>();
    const one = (method: string, path: string) =>
      new Promise<{ status: number; length: string | undefined }>((resolve, reject) => {
        const req = httpRequest({ host: u.hostname, port: u.port, path, method, agent }, (res) => {
          sockets.add(res.socket);
          res
            .resume()
            .on('end', () =>
              resolve({ status: res.statusCode!, length: res.headers['content-length'] }),
            );
        });
        req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path} stalled`)));
        req.on('error', reject);
        req.end();
      });
    try {
      const css = await one('GET', '/statics/css/site.css');
      expect(await one('HEAD', '/statics/css/site.css')).toEqual({
        status: 200,
        length: css.length,
      });
      expect(await one('HEAD', '/statics/missing.css')).toEqual({ status: 404, length: '9' });
      expect((await one('GET', '/statics/css/site.css')).status).toBe(200);
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('never leaves the static folder', async () => {
    for (const path of [
      '/statics/../package.json',
      '/statics/../../package.json',
      '/statics/%2e%2e/package.json',
      '/statics/..%2fpackage.json',
      '/statics/css/../../layout.njk',
      '/statics//etc/passwd',
      '/statics/%2fetc%2fpasswd',
      '/statics/css/site.css%00.js',
      '/statics/',
    ]) {
      const r = await rawGet(path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('"name"');
      expect(r.body).not.toContain('root:');
    }
  });
});
