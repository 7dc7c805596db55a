/**
 * select: wait on several channel operations, proceed with exactly one (Go's runtime/select.go).
 *
 * Invariants:
 * - Poll: every case is inspected without side effects; a uniformly random one among the ready
 *   cases is chosen by reservoir sampling (each ready case replaces the choice with probability
 *   1/k) — the same distribution as Go's shuffled poll order, with no allocation. Only the chosen
 *   case runs.
 * - Block: one waiter per non-null case, all sharing one `SelectWait`. The first channel to
 *   complete a waiter calls `win`/`fail`, which sets `fired` and unlinks every sibling (also a
 *   sibling on the same channel) before settling, so losers leave no trace and no second case
 *   can win. `fired` is checked as an assertion: a second completion is a bug, not a race.
 * - A `null` channel case is never ready and never queued (Go's nil channel).
 * - Abort: an aborted signal at entry rejects with nothing changed; an abort while blocked
 *   unlinks every waiter, then rejects.
 *
 * Return cases: {index, value, ok} of the chosen case (send cases: value undefined, ok true);
 * {index: -1} with `default` when nothing is ready; rejects ERR_SEND_ON_CLOSED when a chosen send
 * case's channel is closed, AbortError on abort.
 */
import { Channel, internals } from './channel.js';
import { AbortError, InvalidArgumentError, UnsupportedChannelError } from './errors.js';
import type { RecvChannel, SendChannel } from './types.js';
import { type SelectWait, Waiter } from './waiter.js';

const RECV = 0;
const SEND = 1;

export interface RecvCase<T> {
  readonly kind: typeof RECV;
  readonly ch: RecvChannel<T> | null;
}
export interface SendCase<T> {
  readonly kind: typeof SEND;
  readonly ch: SendChannel<T> | null;
  readonly value: T;
}
export type SelectCase = RecvCase<unknown> | SendCase<unknown>;

/** A receive case; `null` is never ready. */
export function recv<T>(ch: RecvChannel<T> | null): RecvCase<T> {
  return { kind: RECV, ch };
}

/** A send case; `null` is never ready. */
export function send<T>(ch: SendChannel<T> | null, value: T): SendCase<T> {
  return { kind: SEND, ch, value };
}

type CaseValue<C> = C extends RecvCase<infer T> ? T : never;

export interface SelectResult<V = unknown> {
  /** The chosen case, or -1 when `default` was taken. */
  readonly index: number;
  /** The received value (undefined for send cases, default, or a closed channel). */
  readonly value: V | undefined;
  /** False when a receive case found its channel closed and drained, or for default. */
  readonly ok: boolean;
}

export interface SelectOptions {
  /** Take the default branch (index -1) instead of blocking. @default false */
  default?: boolean;
  /** Abort the wait: rejects with AbortError and leaves every channel as it was. */
  signal?: AbortSignal;
}

const DEFAULT_RESULT: SelectResult<never> = Object.freeze({
  index: -1,
  value: undefined,
  ok: false,
});

function asChannel(c: SelectCase, i: number): Channel<unknown> | null {
  if (c === null || typeof c !== 'object' || (c.kind !== RECV && c.kind !== SEND)) {
    throw new InvalidArgumentError(`cases[${i}] must be made with recv() or send()`);
  }
  if (c.ch === null) return null;
  if (!(c.ch instanceof Channel)) {
    throw new UnsupportedChannelError(`cases[${i}]: select only waits on in-thread Channel`);
  }
  return c.ch as Channel<unknown>;
}

/** Poll once; the chosen ready case's index, or -1. Throws on invalid cases. */
function pick(cases: readonly SelectCase[]): number {
  let chosen = -1;
  let ready = 0;
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const ch = asChannel(c, i);
    if (ch === null) continue;
    if (c.kind === RECV ? internals.canRecv(ch) : internals.canSend(ch)) {
      ready++;
      if (ready === 1 || Math.random() * ready < 1) chosen = i;
    }
  }
  return chosen;
}

/** Run the chosen ready case (the poll guarantees it will not block). */
function run(c: SelectCase, index: number): SelectResult<unknown> {
  const ch = c.ch as Channel<unknown>;
  if (c.kind === SEND) {
    ch.trySend(c.value); // throws ERR_SEND_ON_CLOSED when the chosen channel is closed
    return { index, value: undefined, ok: true };
  }
  const r = ch.tryRecv()!;
  return { index, value: r.value, ok: r.ok };
}

/**
 * Synchronous select-with-default: the chosen ready case's result, or `undefined` when nothing
 * is ready. Throws ERR_SEND_ON_CLOSED if a chosen send case's channel is closed.
 */
export function trySelect<const C extends readonly SelectCase[]>(
  cases: C,
): SelectResult<CaseValue<C[number]>> | undefined {
  const i = pick(cases);
  return i < 0 ? undefined : (run(cases[i]!, i) as SelectResult<CaseValue<C[number]>>);
}

export function select<const C extends readonly SelectCase[]>(
  cases: C,
  options?: SelectOptions,
): Promise<SelectResult<CaseValue<C[number]>>> {
  type R = SelectResult<CaseValue<C[number]>>;
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
  let i: number;
  try {
    if (!Array.isArray(cases)) throw new InvalidArgumentError('cases must be an array');
    i = pick(cases);
    if (i >= 0) return Promise.resolve(run(cases[i]!, i) as R);
  } catch (err) {
    return Promise.reject(err);
  }
  if (options?.default) return Promise.resolve(DEFAULT_RESULT as R);
  return new Promise<R>((resolve, reject) => block(cases, signal, resolve as never, reject));
}

const noop = (): void => {};

/** A blocked select: its waiters (one per non-null case) and how to settle it. */
class Blocked implements SelectWait {
  fired = false;
  readonly waiters: Waiter[] = [];
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly resolve: (r: SelectResult<unknown>) => void,
    readonly reject: (e: Error) => void,
    readonly signal: AbortSignal | undefined,
  ) {}

  win(w: Waiter, value: unknown, ok: boolean): void {
    this.#finish();
    this.resolve({ index: w.index, value, ok });
  }

  fail(_w: Waiter, err: Error): void {
    this.abandon(err);
  }

  /** Settle with an error: a chosen send case whose channel closed, or the signal's abort. */
  abandon(err: Error): void {
    this.#finish();
    this.reject(err);
  }

  /** Exactly once: mark fired, unlink every waiter (the winner is already unlinked), unlisten. */
  #finish(): void {
    if (this.fired) throw new Error('assertion failed: select fired twice');
    this.fired = true;
    for (const w of this.waiters) w.queue?.remove(w);
    if (this.onAbort !== undefined) this.signal!.removeEventListener('abort', this.onAbort);
  }
}

function block(
  cases: readonly SelectCase[],
  signal: AbortSignal | undefined,
  resolve: (r: SelectResult<unknown>) => void,
  reject: (e: Error) => void,
): void {
  const sel = new Blocked(resolve, reject, signal);
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    if (c.ch === null) continue;
    const ch = c.ch as Channel<unknown>;
    if (c.kind === RECV) {
      const w = new Waiter(undefined, sel, i, noop, noop);
      internals.enqueueRecv(ch, w);
      sel.waiters.push(w);
    } else {
      const w = new Waiter(c.value, sel, i, noop, noop);
      internals.enqueueSend(ch, w);
      sel.waiters.push(w);
    }
  }
  if (signal !== undefined) {
    sel.onAbort = () => {
      sel.abandon(new AbortError(signal.reason));
    };
    signal.addEventListener('abort', sel.onAbort, { once: true });
  }
}
