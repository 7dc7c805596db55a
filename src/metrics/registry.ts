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
import { HttpStats } from './http-stats.js';

const STORE_BUCKETS = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2,
]);

export interface ThreadMetrics {
  readonly registry: Registry;
  /** Requests, response bytes and durations per route (http-stats.ts). */
  readonly http: HttpStats;
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
    http: new HttpStats(registry),
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
