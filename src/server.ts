/**
 * Composition root (ARCHITECTURE.md, "Runtime model"): the main thread's supervisor owns
 *
 *   limiter    the LimiterActor (permanent: restarted over the same buffer after a crash); its
 *              SharedArrayBuffer is handed to every HTTP thread
 *   scheduler  src/scheduler: Ticker → Runners; the dispatcher and executor actors run on their
 *              own threads under the scheduler's supervisor (the executor owns the deletion pool)
 *   http       the uWS threads running the enabled services on their ports
 *
 * started in that order and stopped in reverse (HTTP stops accepting first, in-flight streams get
 * the deadline; then the scheduler's batch in hand; then stores). A crashed HTTP host or scheduler
 * is restarted one-for-one; restarts too fast make the supervisor give up and the process exit 1.
 * The scheduler supervises its actor threads itself: when that supervisor gives up (restart
 * intensity exceeded), the failure escalates straight to the process (exit 1, the log names the
 * actor) — restarting the whole scheduler would only repeat the crash loop more slowly. A wedged
 * HTTP thread (the host's watchdog) escalates the same way: restarting the host cannot take its
 * listener back; `leftRunning()` then tells the CLI the process must end by SIGKILL.
 */

import {
  type ExitReason,
  type SupervisedLimiter,
  Supervisor,
  supervisedLimiter,
  validateRestartBudget,
} from './actors/index.js';
import type { Config } from './config.js';
import { type HttpHost, type HttpHostOptions, LATE_ALIVE_MS, startHttpHost } from './http/index.js';
import { tusUploadStore } from './http/stream/tus/index.js';
import { createLogger } from './log.js';
import { startMetricsServer } from './metrics/server.js';
import { observeStores } from './metrics/store.js';
import {
  type Scheduler,
  type SchedulerOptions,
  schedulerBoard,
  startScheduler,
} from './scheduler/index.js';
import { openStores, type Stores } from './store/index.js';

export interface RunningServer {
  readonly urls: Partial<Record<string, string>>;
  /** Graceful stop within `deadlineMs`; idempotent. */
  close(deadlineMs?: number): Promise<void>;
  /** Resolves if the supervisor gives up, or an HTTP thread is wedged, after the shutdown (the
   *  process should exit non-zero). */
  readonly failed: Promise<unknown>;
  /** HTTP threads abandoned and still running (wedged, or late to close), by the shutdown or by
   *  an earlier HTTP host that gave up: if any, the process cannot exit normally — Node aborts
   *  tearing such a thread down (see cli-run.ts). */
  leftRunning(): number;
}

export interface StartOptions {
  /** Called once with every service URL, in start order (the CLI prints them). */
  onListening?(service: string, url: string): void;
  /** Options of the scheduler (its task file, its actor threads' stores, restart intensity). */
  scheduler?: SchedulerOptions;
  /** How the main thread opens its own stores (the scheduler's records, queue and blobs; closed
   *  last at shutdown). A test passes a wrapper, e.g. a close that never ends. @default openStores */
  openStores?: (config: Config) => Promise<Stores>;
  /** Options of the HTTP host: its thread replacement budget, extra route modules per service,
   *  how long a thread late to close is waited for while it beats. */
  http?: Pick<HttpHostOptions, 'restart' | 'extraMounts' | 'lateAliveMs'>;
  /** The main supervisor's budget: more than `intensity` restarts of its children within
   *  `periodMs` and it gives up (`failed` resolves; the CLI exits 1). @default SERVER_DEFAULTS.restart */
  restart?: { intensity: number; periodMs: number };
}

export const SERVER_DEFAULTS = Object.freeze({
  restart: Object.freeze({ intensity: 3, periodMs: 10_000 }),
});

/** Adapts a component with a close() into something a supervisor can watch. */
function supervisable<T>(
  value: T,
  close: (deadlineMs: number) => Promise<unknown>,
  crashed?: Promise<unknown>,
) {
  let stopped!: (r: ExitReason) => void;
  const exited = new Promise<ExitReason>((r) => (stopped = r));
  crashed?.then((error) => stopped({ reason: 'crashed', error }));
  return {
    value,
    exited,
    async stop() {
      await close(SHUTDOWN_DEADLINE_MS);
      stopped({ reason: 'stopped' });
    },
  };
}

const SHUTDOWN_DEADLINE_MS = 10_000;

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const budget = validateRestartBudget(opts.restart ?? SERVER_DEFAULTS.restart);
  const log = createLogger('server');
  const runs = (s: Config['only'][number]) => config.only.includes(s);
  let limiter: SupervisedLimiter['ref'] | undefined;
  let stores: Stores | undefined;
  let host: HttpHost | undefined;
  let hosts: HttpHost[] = [];
  let scheduler: Scheduler | undefined;
  const restarts: Record<string, number> = {};
  // The HTTP threads also get SIGTERM's readiness grace before their drain deadline, and a thread
  // late to close but still beating gets up to lateAliveMs more (host-close.ts closeThread).
  const lateAliveMs = opts.http?.lateAliveMs ?? LATE_ALIVE_MS;
  const httpShutdownMs = SHUTDOWN_DEADLINE_MS + config.shutdownGraceMs + 5_000 + lateAliveMs;

  let escalate!: (error: unknown) => void;
  const escalated = new Promise<unknown>((r) => (escalate = r));
  const children = [];
  if (runs('stream')) {
    // The token state lives in the shared buffer: a crashed limiter actor is restarted over it
    // (permanent), the threads' tokens untouched.
    const l = supervisedLimiter({ capacity: config.maxConns });
    limiter = l.ref;
    children.push(l.child);
  }
  // The scheduler's counters and actor tree, published to the HTTP threads' /stats over channels.
  const board = runs('scheduler') ? schedulerBoard() : undefined;
  if (runs('scheduler')) {
    stores = observeStores(await (opts.openStores ?? openStores)(config));
    const { records, queue } = stores;
    children.push({
      id: 'scheduler',
      shutdownMs: SHUTDOWN_DEADLINE_MS + 5_000,
      start: () => {
        const s: Scheduler = startScheduler(
          config,
          {
            records,
            queue,
            blobs: stores!.blobs,
            tusUploads: tusUploadStore(config, stores!.blobs),
            board,
            log: log.child('scheduler'),
          },
          opts.scheduler,
        );
        scheduler = s;
        s.failed.then(escalate);
        return supervisable(s, (ms) => s.close(ms));
      },
    });
  }
  // One stats channel per HTTP thread index, made once: a restarted host's threads reuse them.
  const stats = board && Array.from({ length: config.httpThreads }, () => board.publishTo());
  children.push({
    id: 'http',
    shutdownMs: httpShutdownMs,
    start: async () => {
      // A restarted host binds the ports the first one got (port 0 = any, once): clients, the
      // announced URLs and a front proxy keep pointing at the right place.
      const ports = host ? { ...config.ports, ...host.ports } : config.ports;
      const h = await startHttpHost(
        { ...config, ports },
        {
          ...opts.http,
          limiterShared: limiter?.shared,
          schedulerStats: stats,
        },
      );
      const crashed = new Promise((res) => h.once('crash', res));
      crashed.then((e) => log.error('HTTP thread crashed; restarting the HTTP host', { error: e }));
      // A wedged thread keeps its listener and cannot be torn down: the process must end.
      h.once('wedged', escalate);
      h.on('replaced', () => {
        restarts['http.thread'] = (restarts['http.thread'] ?? 0) + 1;
      });
      if (host === undefined) {
        for (const [name, url] of Object.entries(h.urls)) opts.onListening?.(name, url!);
      }
      host = h;
      // Its predecessors count while a thread they abandoned is still running (left wedged or
      // late by a host that gave up): the process must then end by SIGKILL all the same.
      hosts = [...hosts.filter((old) => old.leftRunning > 0), h];
      return supervisable(h, (ms) => h.close(ms), crashed);
    },
  });

  let supervisor: Supervisor;
  try {
    supervisor = await Supervisor.start({
      children,
      intensity: budget.intensity,
      periodMs: budget.periodMs,
      onEvent: (e) => {
        if (e.type === 'restart') {
          restarts[e.id] = (restarts[e.id] ?? 0) + 1;
          log.warn('restarted', { child: e.id });
        } else if (e.type === 'gave-up') log.error('too many restarts: giving up', { child: e.id });
        else if (e.type === 'shutdown-timeout')
          log.warn('shutdown deadline passed', { child: e.id });
      },
    });
  } catch (err) {
    await stores?.close();
    throw err;
  }

  const queue = stores?.queue;
  const metrics = await startMetricsServer(config, {
    log: log.child('metrics'),
    threads: (ms) => host?.scrape(ms) ?? Promise.resolve({ metrics: [], missing: 0 }),
    limiter: limiter && (() => limiter!.stats()),
    scheduler: () => scheduler?.stats(),
    deletions: queue && (() => queue.countDeletions()),
    restarts: () => restarts,
  }).catch(async (err: unknown) => {
    await supervisor.stop();
    await stores?.close();
    throw err;
  });
  if (metrics) opts.onListening?.('metrics', metrics.url);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await supervisor.stop();
      await metrics?.close();
      await stores?.close();
    })();
    return closing;
  };
  const failed = Promise.race([
    supervisor.exited.then((r) =>
      r.reason === 'crashed' ? close().then(() => r.error) : new Promise(() => {}),
    ),
    escalated.then((error) => close().then(() => error)),
  ]);
  const leftRunning = () => hosts.reduce((n, h) => n + h.leftRunning, 0);
  return { urls: { ...host!.urls }, close, failed, leftRunning };
}
