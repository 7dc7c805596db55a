/**
 * The limiter actor: owns the token state's SharedArrayBuffer (layout and hot path in
 * limiter-client.ts), reconfiguration, rate-mode refill and statistics. Threads spend tokens
 * with a LimiterClient on `ref.shared` — no message per request; only reconfigure/stats/stop
 * are messages to the actor, so they are serialised with each other.
 *
 * Invariants:
 *   - Only this actor writes CAPACITY, RATE_ON, BURST and refills BUCKET (capped at BURST).
 *   - Statistics stripes are wrapping Uint32 counters; the actor folds their deltas into JS
 *     numbers at least every FOLD_MS, far below the time to wrap (2^32 grants on one stripe).
 */
import { type ActorRef, spawn } from './actor.js';
import { InvalidArgumentError } from './errors.js';
import {
  BUCKET,
  BURST,
  CAPACITY,
  GRANTED,
  IN_USE,
  LIMITER_BYTES,
  MAGIC,
  MAGIC_VALUE,
  RATE_ON,
  REJECTED,
  STRIPES,
  stripeOffset,
} from './limiter-client.js';

export interface LimiterRate {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: the most requests admitted at once after a quiet period. */
  burst: number;
}

export interface LimiterOptions {
  /** Most tokens out at once (concurrent requests). */
  capacity: number;
  /** Optional token-bucket rate limit on top of the capacity. @default undefined (off) */
  rate?: LimiterRate;
}

export interface LimiterStats {
  capacity: number;
  inUse: number;
  granted: number;
  rejected: number;
}

export interface LimiterRef {
  readonly shared: SharedArrayBuffer;
  /** Change capacity and/or rate at run time (`rate: undefined` turns rate mode off). */
  reconfigure(options: LimiterOptions): Promise<void>;
  stats(): Promise<LimiterStats>;
  stop(): Promise<void>;
}

const FOLD_MS = 1000;
const ASK_TIMEOUT_MS = 5000;

function validate(o: LimiterOptions): LimiterOptions {
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('options is required');
  if (!Number.isInteger(o.capacity) || o.capacity < 0 || o.capacity > 0x3fffffff) {
    throw new InvalidArgumentError('options.capacity must be an integer in [0, 2^30)');
  }
  if (o.rate !== undefined) {
    const { perSecond, burst } = o.rate;
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) {
      throw new InvalidArgumentError('options.rate.perSecond must be a positive number');
    }
    if (!Number.isInteger(burst) || burst < 1 || burst > 0x3fffffff) {
      throw new InvalidArgumentError('options.rate.burst must be a positive integer');
    }
  }
  return o;
}

type Msg = { kind: 'reconfigure'; options: LimiterOptions } | { kind: 'stats' };

export async function spawnLimiter(options: LimiterOptions): Promise<LimiterRef> {
  validate(options);
  const shared = new SharedArrayBuffer(LIMITER_BYTES);
  const a = new Int32Array(shared);
  Atomics.store(a, MAGIC, MAGIC_VALUE);
  const last = new Uint32Array(STRIPES * 2);
  let granted = 0;
  let rejected = 0;
  let rate: LimiterRate | undefined;
  let refill: NodeJS.Timeout | undefined;
  let credit = 0; // fractional tokens owed by the refill
  let lastRefill = 0;

  const fold = () => {
    for (let s = 0; s < STRIPES; s++) {
      const g = Atomics.load(a, stripeOffset(s) + GRANTED) >>> 0;
      const r = Atomics.load(a, stripeOffset(s) + REJECTED) >>> 0;
      granted += (g - last[2 * s]!) >>> 0;
      rejected += (r - last[2 * s + 1]!) >>> 0;
      last[2 * s] = g;
      last[2 * s + 1] = r;
    }
  };
  const folder = setInterval(fold, FOLD_MS).unref();

  const doRefill = () => {
    const now = performance.now();
    credit += ((now - lastRefill) * rate!.perSecond) / 1000;
    lastRefill = now;
    const whole = Math.floor(credit);
    if (whole === 0) return;
    credit -= whole;
    for (;;) {
      const t = Atomics.load(a, BUCKET);
      const next = Math.min(t + whole, rate!.burst);
      if (next <= t || Atomics.compareExchange(a, BUCKET, t, next) === t) return;
    }
  };

  const apply = (o: LimiterOptions) => {
    Atomics.store(a, CAPACITY, o.capacity);
    const wasOn = rate !== undefined;
    rate = o.rate && { ...o.rate };
    clearInterval(refill);
    refill = undefined;
    if (rate === undefined) {
      Atomics.store(a, RATE_ON, 0);
      return;
    }
    Atomics.store(a, BURST, rate.burst);
    if (!wasOn) Atomics.store(a, BUCKET, rate.burst);
    else
      for (let t = Atomics.load(a, BUCKET); t > rate.burst; t = Atomics.load(a, BUCKET)) {
        if (Atomics.compareExchange(a, BUCKET, t, rate.burst) === t) break;
      }
    Atomics.store(a, RATE_ON, 1);
    credit = 0;
    lastRefill = performance.now();
    // Refill often enough to add about one token per tick, but not more than 200 times a second.
    const period = Math.min(100, Math.max(5, 1000 / rate.perSecond));
    refill = setInterval(doRefill, period).unref();
  };
  apply(options);

  const actor: ActorRef<Msg, LimiterStats | undefined> = spawn(
    {
      receive: (m) => {
        if (m.kind === 'reconfigure') return void apply(m.options);
        fold();
        return {
          capacity: Atomics.load(a, CAPACITY),
          inUse: Atomics.load(a, IN_USE),
          granted,
          rejected,
        };
      },
      stopped: () => {
        clearInterval(folder);
        clearInterval(refill);
      },
    },
    { name: 'limiter', mailbox: 16 },
  );

  return {
    shared,
    reconfigure: async (o) => {
      validate(o);
      await actor.ask({ kind: 'reconfigure', options: o }, { timeout: ASK_TIMEOUT_MS });
    },
    stats: async () =>
      (await actor.ask({ kind: 'stats' }, { timeout: ASK_TIMEOUT_MS })) as LimiterStats,
    stop: () => actor.stop(),
  };
}
