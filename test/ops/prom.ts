/** Scraping a test server's /metrics with a real Prometheus text parser (no regexes). */

import { createRequire } from 'node:module';
import { createServer } from 'node:net';

export interface Sample {
  /** Counters and gauges. */
  value?: string;
  /** Histograms. */
  count?: string;
  labels?: Record<string, string>;
}
export interface Family {
  name: string;
  type: string;
  metrics: Sample[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => Family[];

/** A port free right now on loopback (METRICS_PORT=0 means "off", so tests pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function scrape(metricsUrl: string): Promise<Family[]> {
  const res = await fetch(`${metricsUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parse(await res.text());
}

/** Sum of a family's samples (histograms: their counts) whose labels include `match`. */
export function total(
  families: Family[],
  name: string,
  match: Record<string, string> = {},
): number {
  const f = families.find((x) => x.name === name);
  if (!f) return 0;
  return f.metrics
    .filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v))
    .reduce((n, m) => n + Number(m.value ?? m.count), 0);
}
