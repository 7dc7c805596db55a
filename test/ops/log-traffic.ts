/**
 * What test/ops/log-destination.test.ts drives a piped server (test/helpers/piped-server.ts) with:
 * tagged 404 traffic on every port, health probes, the access lines and drop notices its stdout
 * reader passed on, and the request count its metrics report.
 */
import { afterAll, expect, vi } from 'vitest';
import {
  type PipedServer,
  type PipedServerOptions,
  startPipedServer,
} from '../helpers/piped-server.js';
import { freePort, scrape, total } from './prom.js';

export type ObservedServer = PipedServer & { metrics: string };

const servers: PipedServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

/** A piped server with a metrics port, stopped after the file's tests. */
export async function start(opts: PipedServerOptions = {}): Promise<ObservedServer> {
  const port = await freePort();
  const s = await startPipedServer({ ...opts, env: { METRICS_PORT: String(port), ...opts.env } });
  servers.push(s);
  return Object.assign(s, { metrics: `http://127.0.0.1:${port}` });
}

/** A server whose stdout reader has passed on the access lines of 20 first requests. */
export async function startWarm(opts: PipedServerOptions): Promise<ObservedServer> {
  const s = await start(opts);
  await traffic(s, 'warm', 20);
  await vi.waitFor(() => expect(accessLines(s, 'warm')).toHaveLength(20), { timeout: 30_000 });
  return s;
}

const PORTS = ['stream', 'api', 'web'] as const;

/** `n` requests for missing paths (404 on every port, one access line each), `wave` at a time. */
export async function traffic(s: PipedServer, tag: string, n: number, wave = 16): Promise<void> {
  for (let i = 0; i < n; i += wave) {
    const statuses = await Promise.all(
      Array.from({ length: Math.min(wave, n - i) }, async (_, j) => {
        const res = await fetch(`${s.urls[PORTS[(i + j) % 3]!]}/missing`, {
          headers: { 'x-request-id': `${tag}-${i + j}` },
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.every((x) => x === 404)).toBe(true);
  }
}

export async function healthy(s: PipedServer): Promise<void> {
  for (const p of PORTS) {
    for (const probe of ['live', 'ready']) {
      const res = await fetch(`${s.urls[p]}/health/${probe}`);
      await res.arrayBuffer();
      expect(res.status, `${p} /health/${probe}`).toBe(200);
    }
  }
}

/** The access lines a reader passed on, by their requests' tag (`X-Request-Id: <tag>-<i>`). */
export function accessLines(s: PipedServer, tag: string): Record<string, unknown>[] {
  return s.json().filter((l) => l.msg === 'request' && String(l.reqId).startsWith(`${tag}-`));
}

/** The warn lines saying how many lines a thread dropped (src/log-write.ts). */
export function dropNotices(s: PipedServer): Record<string, unknown>[] {
  return s.json().filter((l) => l.scope === 'log' && typeof l.dropped === 'number');
}

/** log_lines_dropped_total{reason} summed over the threads, as a scrape reports it. */
export async function droppedCounted(s: ObservedServer, reason: string): Promise<number> {
  return total(await scrape(s.metrics), 'log_lines_dropped_total', { reason });
}

export async function requestsCounted(s: ObservedServer): Promise<number> {
  return total(await scrape(s.metrics), 'http_requests_total', { status: '404' });
}
