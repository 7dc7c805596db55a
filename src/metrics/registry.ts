/**
 * The metrics every thread may record, on one prom-client Registry per thread.
 *
 * Invariants:
 * - Each thread counts locally in its own registry; nothing here is shared between threads. The
 *   main thread's scrape collects every thread's `getMetricsAsJSON()` and sums them
 *   (`AggregatorRegistry.aggregate`, see collect.ts), so every thread must define a metric with
 *   the same name, type, help and labels — hence one definition, here.
 * - Per-thread values that must not be summed (event-loop delay) carry a `thread` label.
 * - Label values are bounded: routes are the registered patterns, never raw URLs.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds; from a cached 404 (~50 µs) to a long stream. */
const DURATION_BUCKETS = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60,
]);
const STORE_BUCKETS = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2,
]);

export interface ThreadMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'service' | 'route' | 'method' | 'status'>;
  readonly responseBytes: Counter<'service' | 'route'>;
  readonly duration: Histogram<'service' | 'route'>;
  readonly uploadBytes: Counter;
  readonly uploadFailures: Counter;
  readonly storeOps: Histogram<'store' | 'op' | 'outcome'>;
}

let mine: ThreadMetrics | undefined;

function define(): ThreadMetrics {
  const registry = new Registry();
  const registers = [registry];
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  new Gauge({
    name: 'thread_event_loop_delay_seconds',
    help: 'Event-loop delay of each thread since the previous scrape (p99 and max)',
    labelNames: ['thread', 'stat'],
    registers,
    collect() {
      const t = String(threadId);
      this.set({ thread: t, stat: 'p99' }, lag.percentile(99) / 1e9);
      this.set({ thread: t, stat: 'max' }, lag.max / 1e9);
      lag.reset();
    },
  });
  return {
    registry,
    requests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by service, route pattern, method and status',
      labelNames: ['service', 'route', 'method', 'status'],
      registers,
    }),
    responseBytes: new Counter({
      name: 'http_response_bytes_total',
      help: 'Response body bytes sent (as declared by the response length)',
      labelNames: ['service', 'route'],
      registers,
    }),
    duration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from the request to the end of its response',
      labelNames: ['service', 'route'],
      buckets: [...DURATION_BUCKETS],
      registers,
    }),
    uploadBytes: new Counter({
      name: 'upload_bytes_total',
      help: 'Bytes of video stored by completed uploads (stream and web ports)',
      registers,
    }),
    uploadFailures: new Counter({
      name: 'upload_failures_total',
      help: 'Uploads admitted but not stored (refused, over quota, aborted, storage error)',
      registers,
    }),
    storeOps: new Histogram({
      name: 'store_operation_duration_seconds',
      help: 'Latency of record-store operations, by store and operation',
      labelNames: ['store', 'op', 'outcome'],
      buckets: [...STORE_BUCKETS],
      registers,
    }),
  };
}

/** This thread's metrics (created on first use). */
export function threadMetrics(): ThreadMetrics {
  mine ??= define();
  return mine;
}
