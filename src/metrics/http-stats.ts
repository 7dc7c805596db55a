/**
 * Per-route HTTP request metrics, counted with plain numbers on the request path and turned into
 * prom-client's JSON only when scraped.
 *
 * Why not prom-client's Counter/Histogram directly: each `inc`/`observe` with labels builds a
 * label hash string, three of them per request measurably cost more than the rest of a 404
 * (bench/results/http-ops.md). Here a route's stats object is found once, at route registration;
 * a request adds to its method + status entry (a short scan, no key built) and to a bucket array.
 *
 * Invariants: only the owning thread writes (no sharing); `get()` returns the same JSON shape
 * prom-client's own metrics do (`values[].labels/value/metricName`), so the registry's text
 * output and `AggregatorRegistry.aggregate` treat these like any other counter and histogram.
 */
import type { Registry } from 'prom-client';

/** Seconds; from a cached 404 (~50 µs) to a long stream. */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60,
]);

interface Count {
  /** As uWS reports it (lower case); labelled in upper case when scraped. */
  method: string;
  status: number;
  n: number;
}

export class RouteStats {
  /** Per method + status; a route sees a handful, so a scan beats hashing a built key. */
  readonly counts: Count[] = [];
  bytes = 0;
  sum = 0;
  count = 0;
  /** Non-cumulative: buckets[i] = observations in (bound[i-1], bound[i]]; the last = above all. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);

  constructor(
    readonly service: string,
    readonly route: string,
  ) {}

  record(method: string, status: number, bytes: number, seconds: number): void {
    const counts = this.counts;
    let c = 0;
    while (c < counts.length && (counts[c]!.status !== status || counts[c]!.method !== method)) c++;
    if (c < counts.length) counts[c]!.n++;
    else counts.push({ method, status, n: 1 });
    this.bytes += bytes;
    this.sum += seconds;
    this.count++;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    this.buckets[i]!++;
  }
}

type Value = { labels: Record<string, string | number>; value: number; metricName?: string };

interface JsonMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Value[] }>;
  reset(): void;
}

function metric(
  name: string,
  help: string,
  type: JsonMetric['type'],
  values: () => Value[],
  before: ReadonlySet<() => void>,
): JsonMetric {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => {
      for (const run of before) run();
      return { name, help, type, aggregator: 'sum', values: values() };
    },
    reset: () => {},
  };
}

/** The thread's route stats, and their three metrics registered on `registry`. */
export class HttpStats {
  readonly #routes: RouteStats[] = [];
  /** What must run before the stats are read (observe.ts: requests ended in this turn). */
  readonly #beforeRead = new Set<() => void>();

  constructor(registry: Registry) {
    const routes = this.#routes;
    const before = this.#beforeRead;
    const reg = (name: string, help: string, type: JsonMetric['type'], values: () => Value[]) =>
      registry.registerMetric(metric(name, help, type, values, before) as never);
    reg(
      'http_requests_total',
      'HTTP requests answered, by service, route pattern, method and status',
      'counter',
      () =>
        routes.flatMap((r) =>
          r.counts.map((c) => ({
            labels: {
              service: r.service,
              route: r.route,
              method: c.method.toUpperCase(),
              status: c.status,
            },
            value: c.n,
          })),
        ),
    );
    reg(
      'http_response_bytes_total',
      'Response body bytes sent (as declared by the response length)',
      'counter',
      () =>
        routes
          .filter((r) => r.count > 0)
          .map((r) => ({ labels: { service: r.service, route: r.route }, value: r.bytes })),
    );
    const name = 'http_request_duration_seconds';
    reg(name, 'Time from the request to the end of its response', 'histogram', () =>
      routes
        .filter((r) => r.count > 0)
        .flatMap((r) => {
          const labels = { service: r.service, route: r.route };
          let acc = 0;
          const out: Value[] = DURATION_BUCKETS.map((le, i) => {
            acc += r.buckets[i]!;
            return { labels: { le, ...labels }, value: acc, metricName: `${name}_bucket` };
          });
          out.push(
            { labels: { le: '+Inf', ...labels }, value: r.count, metricName: `${name}_bucket` },
            { labels, value: r.sum, metricName: `${name}_sum` },
            { labels, value: r.count, metricName: `${name}_count` },
          );
          return out;
        }),
    );
  }

  /** Runs `fn` before every read of these stats (once per distinct function). */
  beforeRead(fn: () => void): void {
    this.#beforeRead.add(fn);
  }

  /** The stats of one route of one service (call at registration, keep the result). */
  route(service: string, route: string): RouteStats {
    let r = this.#routes.find((x) => x.service === service && x.route === route);
    if (!r) this.#routes.push((r = new RouteStats(service, route)));
    return r;
  }
}
