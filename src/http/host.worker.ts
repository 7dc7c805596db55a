/**
 * Entry of one HTTP thread: opens its own stores, builds the ServiceContext, starts the apps, and
 * talks to the host over two port channels (src/channels, credit-based; no postMessage union):
 *   events   thread → host: ThreadEvent ('ready' once listening, 'failed' if start-up failed,
 *            'crash' per contained crash, 'signed-in' per successful sign-in (the account key;
 *            the host relays it to the other threads), 'closed' once apps and stores are closed)
 *   control  host → thread: ThreadCommand ('lift-block': another thread's sign-in, lift that
 *            account's in-memory rate-limit block here; 'close' with a deadline, the last one
 *            read); the channel closing (the host went away) counts as a close with no deadline
 * 'crash' and 'signed-in' are sent with trySend: a full events channel (the host not reading)
 * drops them rather than stall a request; a dropped 'signed-in' leaves the other threads' block
 * of that account to end with its window (src/http/api/throttle.ts).
 *
 * Crash containment (issue 10): every handler runs guarded (common/guard.ts) and uncaught
 * exceptions / unhandled rejections are logged with their request, which gets a 500; the thread
 * keeps serving. If the thread ends anyway (process.exit, an error inside a handler of ours),
 * the 'exit' hook closes every uWS handle first: a uWS handle left open at thread exit makes
 * Node abort the whole process (`uv_loop_close() while having open handles`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { workerData } from 'node:worker_threads';
import { LimiterClient, reclaimHolder } from '../actors/index.js';
import { type PortChannelEnd, PortReceiver, PortSender } from '../channels/index.js';
import type { Config, ServiceName } from '../config.js';
import { createLogger } from '../log.js';
import { captureOutput } from '../log-capture.js';
import { answerScrapes, type ScrapeEnds } from '../metrics/collect.js';
import { observeStores } from '../metrics/store.js';
import { schedulerStatsReader } from '../scheduler/stats-board.js';
import { openStores } from '../store/index.js';
// throttle.ts itself, not the api's index: a thread without the api service loads no handler.
import { liftAccountBlocks } from './api/throttle.js';
import { type HttpApps, startHttpApps } from './apps.js';
import { containCrashes, reportCrash } from './common/guard.js';
import { Heartbeats } from './common/health.js';
import type { MountService, ServiceContext } from './context.js';
import { SERVICE_MODULES, type ServiceLoader } from './services.js';

export interface HttpThreadData {
  index: number;
  config: Config;
  services: ServiceName[];
  ports: Partial<Record<ServiceName, number>>;
  limiterShared: SharedArrayBuffer | undefined;
  schedulerStats: SharedArrayBuffer | undefined;
  /** Extra modules per service, each exporting `mount: MountService`, mounted after its routes. */
  extraMounts: Partial<Record<ServiceName, string>>;
  events: PortChannelEnd;
  control: PortChannelEnd;
  /** The process's heartbeat board (this thread beats in slot index + 1). */
  heartbeats: SharedArrayBuffer;
  /** This thread's ends of the metrics scrape channels. */
  scrape: ScrapeEnds;
}

export type ThreadEvent =
  | { type: 'ready'; ports: Partial<Record<ServiceName, number>>; limiterSlot: number }
  | { type: 'failed'; code: string; message: string }
  | { type: 'crash'; method: string | undefined; url: string | undefined; message: string }
  | { type: 'signed-in'; accountKey: string }
  | { type: 'closed' };

/** `graceMs`: how long readiness reports 503 before the listeners close (SIGTERM's drain). */
export type CloseCommand = { type: 'close'; deadlineMs: number; graceMs?: number };
export type ThreadCommand = CloseCommand | { type: 'lift-block'; accountKey: string };

const data = workerData as HttpThreadData;
const events = new PortSender<ThreadEvent>(data.events);
const control = new PortReceiver<ThreadCommand>(data.control);
const log = createLogger(`http#${data.index}`);
let apps: HttpApps | undefined;
captureOutput();

containCrashes(log, (err, r) => {
  // Best effort: a full channel (the host is not reading) drops the report; the log has it.
  tell({
    type: 'crash',
    method: r?.method,
    url: r?.url,
    message: (err as Error)?.message ?? String(err),
  });
});
process.on('exit', () => apps?.closeNow());

/** Tells the host without waiting: false if the event was dropped (full or closed channel). */
function tell(e: ThreadEvent): boolean {
  try {
    return events.trySend(e);
  } catch {
    return false; // closed: this thread reported 'closed' already, or the host went away
  }
}

/** Serves the host's commands until 'close' (undefined: the host went away, its channel ended).
 *  Every command is handled at once, so the host's credits come back as fast as it sends. */
async function untilClose(): Promise<CloseCommand | undefined> {
  for await (const c of control) {
    if (c.type === 'close') return c;
    liftAccountBlocks(c.accountKey);
  }
  return undefined;
}

function modules(): Partial<Record<ServiceName, ServiceLoader>> {
  const out: Partial<Record<ServiceName, ServiceLoader>> = { ...SERVICE_MODULES };
  for (const [service, url] of Object.entries(data.extraMounts) as [ServiceName, string][]) {
    const own = SERVICE_MODULES[service];
    out[service] = async () => {
      const base = own ? await own() : undefined;
      const extra = ((await import(url)) as { mount: MountService }).mount;
      return async (app, ctx) => {
        await base?.(app, ctx);
        await extra(app, ctx);
      };
    };
  }
  return out;
}

async function main(): Promise<void> {
  const stores = observeStores(await openStores(data.config));
  const heartbeats = new Heartbeats(data.config.httpThreads, data.heartbeats);
  const stopBeating = heartbeats.start(data.index + 1);
  const stopScrapes = new AbortController();
  void answerScrapes(data.scrape, stopScrapes.signal);
  let limiter: LimiterClient | undefined;
  try {
    limiter =
      data.limiterShared && data.services.includes('stream')
        ? new LimiterClient(data.limiterShared)
        : undefined;
    const ctx: ServiceContext = {
      config: data.config,
      records: stores.records,
      queue: stores.queue,
      blobs: stores.blobs,
      limiter,
      schedulerBoard: data.schedulerStats && schedulerStatsReader(data.schedulerStats),
      log,
      announceSignIn: (accountKey) => void tell({ type: 'signed-in', accountKey }),
    };
    apps = await startHttpApps(ctx, data.services, {
      host: data.config.host,
      ports: data.ports,
      modules: modules(),
      heartbeats,
    });
  } catch (err) {
    // The host learns a thread's holder slot only from 'ready': free it here, or every failed
    // start (retried by the host) would keep one of the limiter's few slots. No token is held yet.
    if (limiter && limiter.slot >= 0) reclaimHolder(data.limiterShared!, limiter.slot);
    stopScrapes.abort();
    stopBeating();
    await stores.close().catch(() => {});
    throw err;
  }
  await events.send({ type: 'ready', ports: apps.ports, limiterSlot: limiter?.slot ?? -1 });
  const value = await untilClose();
  // Readiness turns 503 first; listeners close only after the grace period, so a load balancer
  // sees "not ready" and stops sending before connections are refused.
  apps.drain();
  log.info('draining: not ready', { graceMs: value?.graceMs ?? 0, deadlineMs: value?.deadlineMs });
  if (value?.graceMs) await sleep(value.graceMs);
  await apps.close(value?.deadlineMs ?? 0);
  stopScrapes.abort();
  // Beat until the stores are closed: a close that waits on a slow database is alive, and the
  // host gives a late thread that still beats more time (host-close.ts closeThread).
  await stores.close();
  stopBeating();
  await events.send({ type: 'closed' });
  events.close();
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    const e = err as { code?: string; message?: string };
    if (apps) reportCrash(log, err);
    await events
      .send({
        type: 'failed',
        code: e?.code ?? 'ERR_HTTP_START',
        message: e?.message ?? String(err),
      })
      .catch(() => {});
    process.exit(1);
  },
);
