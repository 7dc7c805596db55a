/**
 * `/statics/*`: the files under `views/static`, read once at mount into memory (a few KB of
 * CSS/JS/SVG). A request is answered only when its path is exactly one of those files, so no
 * request path ever reaches the filesystem: `..`, encoded slashes and absolute paths are just
 * unknown names (404).
 *
 * Vendored browser libraries (tus-js-client) are served the same way from their installed
 * package under `/statics/vendor/` — no CDN; the page works offline.
 *
 * Caching: pages link assets as `/statics/x?v=<hash>`; a request carrying the current hash is
 * immutable for a year, any other gets `no-cache` plus a strong ETag (304 on revalidation).
 */

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { endWithLength } from '../common/index.js';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticAsset {
  body: Buffer;
  type: string;
  /** Short content hash: the `?v=` of links and the ETag. */
  hash: string;
}

export type StaticAssets = ReadonlyMap<string, StaticAsset>;

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function asset(file: string, type: string): StaticAsset {
  const body = readFileSync(file);
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { body, type, hash };
}

/**
 * Every file under `root`, keyed by its URL path relative to `/statics/`, plus `extra`
 * (URL path → absolute file, e.g. a library out of node_modules).
 */
export function loadStatics(
  root: string,
  extra: Readonly<Record<string, string>> = {},
): StaticAssets {
  const assets = new Map<string, StaticAsset>();
  for (const file of walk(root)) {
    const type = TYPES[extname(file).toLowerCase()];
    if (type) assets.set(relative(root, file).split(sep).join('/'), asset(file, type));
  }
  for (const [name, file] of Object.entries(extra)) {
    const type = TYPES[extname(file).toLowerCase()];
    if (!type) throw new TypeError(`statics: no content type for ${file}`);
    assets.set(name, asset(file, type));
  }
  return assets;
}

function serve(assets: StaticAssets, head: boolean) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const name = req.getUrl().slice('/statics/'.length);
    const asset = assets.get(name);
    if (!asset) {
      res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain; charset=utf-8');
      if (head) endWithLength(res, 9);
      else res.end('Not found');
      return;
    }
    const etag = `"${asset.hash}"`;
    const cache =
      req.getQuery('v') === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache';
    if (req.getHeader('if-none-match') === etag) {
      res
        .writeStatus('304 Not Modified')
        .writeHeader('ETag', etag)
        .writeHeader('Cache-Control', cache);
      res.endWithoutBody();
      return;
    }
    res
      .writeStatus('200 OK')
      .writeHeader('Content-Type', asset.type)
      .writeHeader('ETag', etag)
      .writeHeader('Cache-Control', cache)
      .writeHeader('X-Content-Type-Options', 'nosniff');
    if (head) endWithLength(res, asset.body.length);
    else res.end(asset.body);
  };
}

export function mountStatics(app: TemplatedApp, assets: StaticAssets): void {
  app.get('/statics/*', serve(assets, false));
  app.head('/statics/*', serve(assets, true));
}
