/**
 * The limiter actor: owns the token state's SharedArrayBuffer (layout and hot path in
 * limiter-client.ts), reconfiguration, rate-mode refill and statistics. Threads spend tokens
 * with a LimiterClient on `ref.shared` — no message per request; only reconfigure/stats/stop
 * and the actor's own refill and fold ticks are messages, so they are serialised with each other
 * and an error in any of them crashes the actor (its supervisor restarts it), never the process.
 *
 * Restart (limiter-supervised.ts): `spawnLimiter(options, shared)` starts a new actor over the
 * buffer of one that crashed. The buffer is the state: tokens out (IN_USE, each holder's HELD)
 * and the rate bucket are kept as they are, so every token taken before the crash is released
 * exactly once by its holder, and a dead thread's are reclaimed as before — none leaked, none
 * released twice. Statistics are folded from the stripes again, so they cover the buffer's life.
 *
 * Invariants:
 *   - Only this actor writes CAPACITY, RATE_ON, BURST and refills BUCKET (capped at BURST).
 *   - Statistics stripes are wrapping Uint32 counters; the actor folds their deltas into JS
 *     numbers at least every FOLD_MS, far below the time to wrap (2^32 grants on one stripe).
 *   - An incarnation's timers only tell it to tick, at most one tick of a kind queued, and stop
 *     when it exits (stopped or crashed).
 */
import { type ActorRef, type ExitReason, spawn } from './actor.js';
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
  /** Monotonic milliseconds for the rate refill. @default performance.now */
  clock?: () => number;
}

export interface LimiterStats {
  capacity: number;
  inUse: number;
  granted: number;
  rejected: number;
}

export interface LimiterRef {
  readonly shared: SharedArrayBuffer;
  /** Resolves when this actor stopped or crashed (what its supervisor watches). */
  readonly exited: Promise<ExitReason>;
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
  if (o.clock !== undefined && typeof o.clock !== 'function') {
    throw new InvalidArgumentError('options.clock must be a function');
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

type Tick = { kind: 'refill' } | { kind: 'fold' };
type Msg = { kind: 'reconfigure'; options: LimiterOptions } | { kind: 'stats' } | Tick;

const REFILL: Tick = Object.freeze({ kind: 'refill' });
const FOLD: Tick = Object.freeze({ kind: 'fold' });

/**
 * Starts a limiter actor. `shared`: the buffer of a previous incarnation (a restart after a
 * crash), whose tokens and bucket are kept; absent = a fresh buffer.
 */
export async function spawnLimiter(
  options: LimiterOptions,
  shared?: SharedArrayBuffer,
): Promise<LimiterRef> {
  validate(options);
  const fresh = shared === undefined;
  const buf = shared ?? new SharedArrayBuffer(LIMITER_BYTES);
  const a = new Int32Array(buf);
  if (fresh) Atomics.store(a, MAGIC, MAGIC_VALUE);
  else if (buf.byteLength !== LIMITER_BYTES || Atomics.load(a, MAGIC) !== MAGIC_VALUE)
    throw new InvalidArgumentError('shared must be the SharedArrayBuffer of a spawned limiter');
  // Folded from zero, also on a restart: the counts cover the buffer's life (monotonic metrics).
  const last = new Uint32Array(STRIPES * 2);
  let granted = 0;
  let rejected = 0;
  let rate: LimiterRate | undefined;
  let refill: NodeJS.Timeout | undefined;
  let clock = options.clock ?? (() => performance.now());
  let credit = 0; // fractional tokens owed by the refill
  let lastRefill = 0;
  const queued = new Set<Tick>();
  const tick = (t: Tick) => {
    if (queued.has(t) || !actor.running) return;
    queued.add(t);
    void actor.tell(t);
  };

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
  const folder = setInterval(() => tick(FOLD), FOLD_MS).unref();

  const doRefill = () => {
    const now = clock();
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

  const apply = (o: LimiterOptions, resumed = false) => {
    Atomics.store(a, CAPACITY, o.capacity);
    // A restarted actor keeps the bucket its predecessor left (no burst of invented tokens).
    const wasOn = resumed ? Atomics.load(a, RATE_ON) !== 0 : rate !== undefined;
    rate = o.rate && { ...o.rate };
    if (o.clock) clock = o.clock;
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
    lastRefill = clock();
    // Refill often enough to add about one token per tick, but not more than 200 times a second.
    const period = Math.min(100, Math.max(5, 1000 / rate.perSecond));
    refill = setInterval(() => tick(REFILL), period).unref();
  };

  const actor: ActorRef<Msg, LimiterStats | undefined> = spawn(
    {
      receive: (m) => {
        if (m.kind === 'refill' || m.kind === 'fold') {
          queued.delete(m);
          return void (m.kind === 'refill' ? rate && doRefill() : fold());
        }
        if (m.kind === 'reconfigure') return void apply(m.options);
        fold();
        return {
          capacity: Atomics.load(a, CAPACITY),
          inUse: Atomics.load(a, IN_USE),
          granted,
          rejected,
        };
      },
      stopped: () => stopTimers(),
    },
    { name: 'limiter', mailbox: 16 },
  );
  // Stopped or crashed, this incarnation's timers end with it (a crash skips `stopped`).
  const stopTimers = () => {
    clearInterval(folder);
    clearInterval(refill);
  };
  void actor.exited.then(stopTimers);
  try {
    apply(options, !fresh);
  } catch (err) {
    await actor.stop();
    throw err;
  }

  return {
    shared: buf,
    exited: actor.exited,
    reconfigure: async (o) => {
      validate(o);
      await actor.ask({ kind: 'reconfigure', options: o }, { timeout: ASK_TIMEOUT_MS });
    },
    stats: async () =>
      (await actor.ask({ kind: 'stats' }, { timeout: ASK_TIMEOUT_MS })) as LimiterStats,
    stop: () => actor.stop(),
  };
}
