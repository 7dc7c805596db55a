/**
 * `GET /health/live` and `GET /health/ready` on every service port (mounted before the service's
 * routes and outside the access log: load balancers poll them).
 *
 * live  200 when the main thread and every HTTP thread of the process beat recently (a shared
 *       heartbeat board, see Heartbeats), else 503 naming the stale ones.
 * ready 200 when live, not draining (SIGTERM turns it 503 first, before listeners close), and
 *       the record and blob stores answer a cheap read within CHECK_TIMEOUT_MS; else 503.
 * Both answer JSON with the detail. HEAD gets the status without a body.
 */
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { ServiceContext } from '../context.js';
import { exchange } from './respond.js';

export const HEARTBEAT_MS = 1000;
/** A thread that has not beaten for this long is reported stale. */
export const STALE_MS = 5000;
export const CHECK_TIMEOUT_MS = 2000;

/** Epoch-ms heartbeats in shared memory: slot 0 = main thread, slot i + 1 = HTTP thread i. */
export class Heartbeats {
  readonly buffer: SharedArrayBuffer;
  readonly #slots: Float64Array;

  constructor(threads: number, buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer((threads + 1) * 8);
    this.#slots = new Float64Array(this.buffer);
  }

  /** Beats now and every HEARTBEAT_MS (unref'd); returns the stop function. */
  start(slot: number): () => void {
    const beat = () => {
      this.#slots[slot] = Date.now();
    };
    beat();
    const timer = setInterval(beat, HEARTBEAT_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Milliseconds since `slot` last beat (the watchdog's measure, src/http/host-watchdog.ts). */
  silentMs(slot: number, now = Date.now()): number {
    return now - this.#slots[slot]!;
  }

  /** Names of the slots that have not beaten within STALE_MS. */
  stale(now = Date.now()): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#slots.length; i++) {
      if (now - this.#slots[i]! > STALE_MS) out.push(i === 0 ? 'main' : `http#${i - 1}`);
    }
    return out;
  }
}

export interface HealthSource {
  service: string;
  heartbeats: Heartbeats | undefined;
  draining(): boolean;
}

interface Check {
  ok: boolean;
  ms: number;
  error?: string;
}

async function check(probe: () => Promise<unknown>): Promise<Check> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - t0), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

function live(src: HealthSource) {
  const stale = src.heartbeats?.stale() ?? [];
  return { ok: stale.length === 0, stale };
}

const NO_STORE = Object.freeze({ 'Cache-Control': 'no-store' });

/** The id probes look up: never a real record, so the reads are cheap misses. */
const PROBE_ID = '00000000-0000-0000-0000-000000000000';

export function mountHealth(app: TemplatedApp, ctx: ServiceContext, src: HealthSource): void {
  const liveRoute = (head: boolean) => (res: HttpResponse) => {
    const l = live(src);
    const body = { status: l.ok ? 'live' : 'not live', service: src.service, stale: l.stale };
    exchange(res, head).json(l.ok ? 200 : 503, body, NO_STORE);
  };
  const readyRoute = (head: boolean) => (res: HttpResponse) => {
    const x = exchange(res, head);
    void (async () => {
      const [records, blobs] = await Promise.all([
        check(() => ctx.records.getUserById(PROBE_ID)),
        check(() => ctx.blobs.stat(PROBE_ID)),
      ]);
      const l = live(src);
      const draining = src.draining();
      const ok = l.ok && !draining && records.ok && blobs.ok;
      const body = {
        status: ok ? 'ready' : 'not ready',
        service: src.service,
        draining,
        stale: l.stale,
        checks: { records, blobs },
      };
      x.json(ok ? 200 : 503, body, NO_STORE);
    })();
  };
  app.get('/health/live', liveRoute(false));
  app.head('/health/live', liveRoute(true));
  app.get('/health/ready', readyRoute(false));
  app.head('/health/ready', readyRoute(true));
}
