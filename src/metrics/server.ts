/**
 * The Prometheus endpoint: `GET /metrics` on METRICS_PORT (bound to HOST; 0 = none), served by
 * the main thread with node:http (a scrape every few seconds is not a hot path).
 *
 * A scrape = the main thread's registries (process, limiter, scheduler, main-thread store
 * latency) + every HTTP thread's registry over the scrape channels, summed by
 * `AggregatorRegistry.aggregate`. When a thread does not answer, the scrape still answers but
 * says so in `metrics_scrape_missing_threads` — it never passes a partial sum off as complete.
 */
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry, Gauge, Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { MetricsJson } from './collect.js';
import { defineMainMetrics, type MainSources } from './main.js';
import { threadMetrics } from './registry.js';

export const SCRAPE_TIMEOUT_MS = 3000;

export interface MetricsServerDeps extends MainSources {
  /** The HTTP threads' metrics (the current host; undefined while none runs). */
  threads(timeoutMs: number): Promise<{ metrics: MetricsJson[]; missing: number }>;
  log: Logger;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  config: Pick<Config, 'host' | 'metricsPort'>,
  deps: MetricsServerDeps,
): Promise<MetricsServer | undefined> {
  if (config.metricsPort === 0) return undefined;
  const main = new Registry();
  defineMainMetrics(main, deps);
  let missing = 0;
  new Gauge({
    name: 'metrics_scrape_missing_threads',
    help: 'HTTP threads that did not answer this scrape (their numbers are not in the sums)',
    registers: [main],
    collect() {
      this.set(missing);
    },
  });

  const scrape = async (): Promise<string> => {
    const threads = await deps.threads(SCRAPE_TIMEOUT_MS);
    missing = threads.missing;
    const own = [await main.getMetricsAsJSON(), await threadMetrics().registry.getMetricsAsJSON()];
    const all = [...own, ...threads.metrics] as Parameters<typeof AggregatorRegistry.aggregate>[0];
    return AggregatorRegistry.aggregate(all).metrics();
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    scrape().then(
      (text) => {
        res.writeHead(200, { 'content-type': main.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        deps.log.error('scrape failed', { err });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.metricsPort, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => deps.log.error('metrics server error', { err }));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.metricsPort;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
