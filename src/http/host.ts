/**
 * The HTTP host: `config.httpThreads` worker threads, each running a uWS App per enabled service
 * on the same ports (SO_REUSEPORT: the kernel spreads connections over the threads).
 *
 * Port 0: thread 0 starts first and binds any free port; the other threads then bind the ports it
 * reported. Host and threads talk over port channels only (host-thread.ts; sign-ins: relaySignIn).
 *
 * Supervision (issue 10, item 1): a thread contains its own request crashes (it logs them and
 * keeps serving; each is re-emitted here as 'thread-crash'). A thread that ends anyway gives its
 * limiter tokens back (`reclaimHolder`) and is replaced alone (host-restarts.ts: backoff and the
 * `restart` budget). Over budget, the host gives up: it closes its surviving threads (their
 * in-flight requests get GIVE_UP_DEADLINE_MS), so the ports are free again, then emits 'crash'
 * (a ThreadCrashError) and its owner decides (the server's supervisor starts a new host on the
 * same ports).
 *
 * Watchdog (host-watchdog.ts): a ready thread silent for `config.httpWatchdogMs` is wedged (it
 * keeps its listener, cannot be torn down); the host emits 'wedged' (a ThreadWedgedError), its
 * owner shuts the process down and ends it; closing abandons the wedged thread at once.
 *
 * Lifecycle: `close()` is idempotent (later callers get the same promise); each thread stops
 * listening, lets in-flight requests finish within the deadline, closes its apps and stores.
 * Threads are never `terminate()`d: terminating a thread that holds uWS handles aborts the whole
 * process; one that does not report back within deadline + CLOSE_GRACE_MS (+ up to `lateAliveMs`
 * while it keeps beating; one whose beats stop for STALE_MS is given up then, host-close.ts) is
 * unref'd and left.
 */
import { EventEmitter } from 'node:events';
import { reclaimHolder, validateRestartBudget } from '../actors/index.js';
import type { Config, ServiceName } from '../config.js';
import { createLogger } from '../log.js';
import type { MetricsJson } from '../metrics/collect.js';
import { ServiceMissingError, type ThreadCrashError } from './common/errors.js';
import { Heartbeats } from './common/health.js';
import type { HttpThreadData } from './host.worker.js';
import { closeThread, LATE_ALIVE_MS } from './host-close.js';
import { checkPortsFree, hostForUrl } from './host-ports.js';
import { ThreadRestarts } from './host-restarts.js';
import { relaySignIn, spawnThread, type Thread } from './host-thread.js';
import { startWatchdog } from './host-watchdog.js';
import { SERVICE_MODULES } from './services.js';

export interface HttpHostOptions {
  /** The limiter actor's buffer; absent = no limit (benchmarks' "limiter off"). */
  limiterShared?: SharedArrayBuffer;
  /** The scheduler's stats when the process runs it: one channel per HTTP thread index
   *  (`board.publishTo()`, src/scheduler/stats.ts; a respawned thread reuses its index's). */
  schedulerStats?: readonly SharedArrayBuffer[];
  /**
   * Extra route modules per service (file URLs of modules exporting `mount: MountService`),
   * mounted in every thread after the service's own routes. @default {}
   */
  extraMounts?: Partial<Record<ServiceName, string>>;
  /** Thread replacement budget. @default HTTP_HOST_DEFAULTS.restart */
  restart?: { intensity: number; periodMs: number };
  /** How long a thread late to close is still waited for while it keeps beating (host-close.ts).
   *  @default HTTP_HOST_DEFAULTS.lateAliveMs */
  lateAliveMs?: number;
}

export const HTTP_HOST_DEFAULTS = Object.freeze({
  restart: Object.freeze({ intensity: 20, periodMs: 60_000 }),
  lateAliveMs: LATE_ALIVE_MS,
});

export { CLOSE_GRACE_MS, LATE_ALIVE_MS } from './host-close.js';
export { REPLACE_BACKOFF_MAX_MS, REPLACE_BACKOFF_MS } from './host-restarts.js';
/** How long the survivors' in-flight requests may run when the host gives up. */
export const GIVE_UP_DEADLINE_MS = 5_000;

export interface HttpHost extends EventEmitter {
  readonly urls: Partial<Record<ServiceName, string>>;
  /** The ports the services listen on (the bound ones where the configuration said 0). */
  readonly ports: Partial<Record<ServiceName, number>>;
  /** Threads replaced so far. */
  readonly replacements: number;
  /** Threads that have not exited; after close(), those it abandoned (wedged, or late): while
   *  any is left, the process cannot exit normally (Node aborts tearing down a thread that holds
   *  uWS handles). */
  readonly leftRunning: number;
  close(deadlineMs?: number): Promise<void>;
  /** Every live thread's metrics (`missing` = threads that did not answer in `timeoutMs`). */
  scrape(timeoutMs: number): Promise<{ metrics: MetricsJson[]; missing: number }>;
}

export async function startHttpHost(config: Config, opts: HttpHostOptions = {}): Promise<HttpHost> {
  const services = [...config.only];
  for (const s of services) if (!SERVICE_MODULES[s]) throw new ServiceMissingError(s);
  const restart = validateRestartBudget(opts.restart ?? HTTP_HOST_DEFAULTS.restart);
  const aliveMs = opts.lateAliveMs ?? HTTP_HOST_DEFAULTS.lateAliveMs;
  if (!(Number.isFinite(aliveMs) && aliveMs >= 0))
    throw new TypeError('options.lateAliveMs must be a non-negative number');
  const log = createLogger('http-host');
  const emitter = new EventEmitter();
  const heartbeats = new Heartbeats(config.httpThreads);
  const stopBeating = heartbeats.start(0);
  const base: Omit<HttpThreadData, 'events' | 'control' | 'scrape'> = {
    index: 0,
    config,
    services,
    ports: Object.fromEntries(services.map((s) => [s, config.ports[s]])),
    limiterShared: opts.limiterShared,
    schedulerStats: undefined,
    extraMounts: { ...opts.extraMounts },
    heartbeats: heartbeats.buffer,
  };
  await checkPortsFree(config.host, base.ports);
  const threads = new Set<Thread>();
  let closing: Promise<void> | undefined;
  let gaveUp = false;
  let replacements = 0;

  // The survivors must be gone before 'crash': the owner's next host binds the same ports, and a
  // thread left listening would hold them (and share them, SO_REUSEPORT) forever.
  const giveUp = (err: ThreadCrashError) => {
    if (gaveUp) return;
    gaveUp = true;
    log.error('HTTP host gives up: closing its threads', { err: err.message });
    void closeAll(GIVE_UP_DEADLINE_MS, 0).then(() => emitter.emit('crash', err));
  };

  const restarts = new ThreadRestarts(
    restart,
    {
      start: (index) => start(index),
      stopped: () => closing !== undefined || gaveUp,
      onReplaced: (index, code, failures) => {
        replacements++;
        log.warn('HTTP thread replaced', { httpThread: index, failures });
        emitter.emit('replaced', { index, code });
      },
      onGiveUp: giveUp,
    },
    log,
  );

  /** A started thread ended by itself: give its tokens back and start another in its place. */
  const onExit = (t: Thread, code: number) => {
    threads.delete(t);
    if (opts.limiterShared && t.limiterSlot >= 0) {
      const n = reclaimHolder(opts.limiterShared, t.limiterSlot);
      if (n > 0) log.warn('returned limiter tokens of an ended thread', { httpThread: t.index, n });
    }
    if (t.closing || closing || gaveUp) return;
    log.error('HTTP thread ended; replacing it', { httpThread: t.index, code });
    restarts.replace(t.index, code);
  };

  const closeAll = (deadlineMs: number, graceMs: number): Promise<void> => {
    closing ??= (async () => {
      restarts.stop();
      await Promise.allSettled([...starting]);
      await Promise.all(
        [...threads].map(async (t) => {
          if (await closeThread(t, deadlineMs, graceMs, { heartbeats, log, aliveMs })) return;
          log.error('HTTP thread did not close in time: left running', { httpThread: t.index });
        }),
      );
      stopWatchdog();
      stopBeating();
    })();
    return closing;
  };

  const starting = new Set<Promise<Thread>>();
  const start = (index: number): Promise<Thread> => {
    const p = startOne(index);
    starting.add(p);
    void p.finally(() => starting.delete(p)).catch(() => {});
    return p;
  };
  const startOne = async (index: number): Promise<Thread> => {
    const t = await spawnThread(
      { ...base, index, ports: { ...base.ports }, schedulerStats: opts.schedulerStats?.[index] },
      {
        onCrash: (report) => emitter.emit('thread-crash', { index, ...report }),
        onSignedIn: (thread, accountKey) => {
          if (relaySignIn(threads, thread, accountKey)) return;
          log.warn('HTTP thread relayed a sign-in with a malformed account key: dropped', {
            httpThread: thread.index,
          });
        },
        onExit: (thread, code) => onExit(thread, code),
      },
    );
    threads.add(t);
    return t;
  };

  try {
    const first = await start(0);
    base.ports = first.ports;
    const rest = Array.from({ length: config.httpThreads - 1 }, (_, i) => start(i + 1));
    const settled = await Promise.allSettled(rest);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (err) {
    closing = Promise.resolve();
    stopBeating();
    await Promise.all([...threads].map((t) => closeThread(t, 0)));
    throw err;
  }
  const stopWatchdog = startWatchdog(
    heartbeats,
    () => threads,
    { deadlineMs: config.httpWatchdogMs },
    log,
    (err) => emitter.emit('wedged', err),
  );
  const urls: Partial<Record<ServiceName, string>> = {};
  for (const s of services) urls[s] = `http://${hostForUrl(config.host)}:${base.ports[s]}`;
  const host = Object.assign(emitter, {
    urls,
    ports: { ...base.ports },
    replacements: 0,
    leftRunning: 0,
    close: (deadlineMs = 10_000) => closeAll(deadlineMs, config.shutdownGraceMs),
    async scrape(timeoutMs: number) {
      const answers = await Promise.all([...threads].map((t) => t.scraper.scrape(timeoutMs)));
      const metrics = answers.filter((a): a is MetricsJson => a !== undefined);
      return { metrics, missing: answers.length - metrics.length };
    },
  });
  Object.defineProperty(host, 'replacements', { get: () => replacements });
  Object.defineProperty(host, 'leftRunning', { get: () => threads.size });
  return host;
}
