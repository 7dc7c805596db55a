/**
 * A uWS app on 127.0.0.1:0 with the given mount functions and the host's 404, over a real LMDB
 * store and fs blobs in a fresh temp directory (openStores). For the full `video-server` process see test/helpers/server.ts.
 */

import type { TemplatedApp } from 'uWebSockets.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, defaultConfig } from '../../src/config.js';
import { mountNotFound } from '../../src/http/common/not-found.js';
import { loadUws } from '../../src/http/common/uws.js';
import type { ServiceContext } from '../../src/http/context.js';
import { createLogger } from '../../src/log.js';
import { openStores } from '../../src/store/index.js';

export interface TestApp {
  url: string;
  ctx: ServiceContext;
  stop(): Promise<void>;
}

export async function startApp(
  mounts: Array<(app: TemplatedApp, ctx: ServiceContext) => void | Promise<void>>,
  config: Partial<Config> = {},
  extra: Pick<ServiceContext, 'now'> = {},
): Promise<TestApp> {
  const uws = loadUws();
  const dataDir = await mkdtemp(join(tmpdir(), 'vs-api-test-'));
  const cfg: Config = Object.freeze({ ...defaultConfig(), dataDir, ...config });
  const stores = await openStores(cfg);
  const ctx: ServiceContext = {
    config: cfg,
    records: stores.records,
    queue: stores.queue,
    blobs: stores.blobs,
    limiter: undefined,
    log: createLogger('test'),
    ...extra,
  };
  const app = uws.App();
  for (const mount of mounts) await mount(app, ctx);
  mountNotFound(app);
  const socket = await new Promise<unknown>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen failed')))),
  );
  // biome-ignore lint/suspicious/noExplicitAny: uWS types the listen socket opaquely
  const port = uws.us_socket_local_port(socket as any);
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    ctx,
    stop: () =>
      (stopped ??= (async () => {
        // biome-ignore lint/suspicious/noExplicitAny: see above
        uws.us_listen_socket_close(socket as any);
        await stores.close();
        await rm(dataDir, { recursive: true, force: true });
      })()),
  };
}

export interface Reply {
  status: number;
  type: string | null;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience
  json: any;
  headers: Headers;
}

export async function request(
  base: string,
  method: string,
  path: string,
  opts: {
    sid?: string;
    body?: unknown;
    raw?: string | Uint8Array;
    headers?: Record<string, string>;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.sid) headers['x-session-id'] = opts.sid;
  let body: string | Uint8Array | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    text,
    json,
    headers: res.headers,
  };
}
