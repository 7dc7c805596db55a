/**
 * Request durations on the event loop's turn (src/http/common/observe.ts), over real HTTP on a
 * guarded, observed app: a response ended in its handler ends with its turn, so a handler that
 * blocks the loop is measured whole, and so is a request handled after it in the same turn; a
 * response ended later reads the clock then; a scrape in the middle of a turn counts the requests
 * already ended in it. Durations are read from the request metrics (seconds).
 */

import type { HttpResponse } from 'uWebSockets.js';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardApp } from '../../src/http/common/guard.js';
import { closeApp, loadUws } from '../../src/http/common/index.js';
import { observeApp } from '../../src/http/common/observe.js';
import { createLogger } from '../../src/log.js';
import { threadMetrics } from '../../src/metrics/registry.js';

const BLOCK_MS = 40;
const uws = loadUws();
const log = createLogger('test');
const app = guardApp(uws.App(), log);
let port = 0;
let countSeen: number | undefined;

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the loop is blocked on purpose: a slow synchronous handler
  }
}

type Metric = { name: string; values: { value: number; labels: Record<string, unknown> }[] };

async function metric(name: string, route: string, extra = ''): Promise<number> {
  const all = (await threadMetrics().registry.getMetricsAsJSON()) as unknown as Metric[];
  const m = all.find((x) => x.name === name);
  const v = m?.values.find(
    (x) =>
      x.labels.route === route &&
      (extra === '' || (x as { metricName?: string }).metricName === `${name}${extra}`),
  );
  return v?.value ?? 0;
}
const seconds = (route: string) => metric('http_request_duration_seconds', route, '_sum');
/** BLOCK_MS in seconds, less what a difference of two float sums may round away. */
const AT_LEAST = BLOCK_MS / 1000 - 1e-9;

beforeAll(() => {
  observeApp(app, { service: 'turns', accessLog: false, metrics: true, log });
  app.get('/block', (res) => {
    block(BLOCK_MS);
    res.end('b');
  });
  app.get('/fast', (res) => {
    res.end('f');
  });
  app.get('/later', (res: HttpResponse) => {
    let gone = false;
    res.onAborted(() => {
      gone = true;
    });
    // Ends BLOCK_MS after its handler ran, by performance.now (a timer may fire a little early).
    const t0 = performance.now();
    const later = () => {
      if (performance.now() - t0 < BLOCK_MS) setTimeout(later, 1);
      else if (!gone) res.cork(() => res.end('l'));
    };
    setTimeout(later, BLOCK_MS);
  });
  app.get('/scrape', (res) => {
    res.end('s');
    // Still in the turn that ended this request: the scrape must count it.
    void metric('http_requests_total', '/scrape').then((n) => {
      countSeen = n;
    });
  });
  return new Promise<void>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => {
      if (!socket) return reject(new Error('listen failed'));
      port = uws.us_socket_local_port(socket);
      resolve();
    });
  });
});
afterAll(() => closeApp(app));

/** Sends `requests` in one write (one segment on loopback: uWS handles them in one turn). */
function pipelined(paths: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (got.split('HTTP/1.1 200').length - 1 === paths.length) {
        sock.destroy();
        resolve(got);
      }
    });
    sock.on('error', reject);
    sock.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
  });
}

describe('request durations on the event loop turn', () => {
  it('a response ended in its handler is timed to its turn’s end: a blocking handler is measured whole', async () => {
    const before = await seconds('/block');
    expect((await fetch(`http://127.0.0.1:${port}/block`)).status).toBe(200);
    expect((await seconds('/block')) - before).toBeGreaterThanOrEqual(AT_LEAST);
  });

  it('a request handled after a blocking one in the same turn waits for it, and says so', async () => {
    const before = await seconds('/fast');
    await pipelined(['/block', '/fast']);
    expect((await seconds('/fast')) - before).toBeGreaterThanOrEqual(AT_LEAST);
  });

  it('a response ended after its handler returned reads the clock when it ends', async () => {
    const before = await seconds('/later');
    expect((await fetch(`http://127.0.0.1:${port}/later`)).status).toBe(200);
    expect((await seconds('/later')) - before).toBeGreaterThanOrEqual(AT_LEAST);
  });

  it('a scrape in the middle of a turn counts the requests already ended in it', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/scrape`)).status).toBe(200);
    expect(countSeen).toBe(1);
  });
});
