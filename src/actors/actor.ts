/**
 * In-thread actors: a behaviour, a bounded mailbox (a Channel), one message at a time.
 *
 * States (#state), each moved only by this file:
 *   RUNNING   spawned; the loop takes messages from the mailbox.     → STOPPING, CRASHED
 *   STOPPING  stop() closed the mailbox; the loop drains what was queued, then runs `stopped`.
 *                                                                     → STOPPED
 *   STOPPED   terminal; `exited` resolved {reason: 'stopped'}.
 *   CRASHED   terminal; the behaviour threw: queued asks rejected ERR_ACTOR_CRASHED, queued tells
 *             published as dead letters; `exited` resolved {reason: 'crashed', error}.
 *
 * Invariants:
 *   - The mailbox is closed exactly once, on leaving RUNNING, before anything is woken, so no
 *     message can be accepted after the actor decided to stop (a blocked tell fails with
 *     ERR_SEND_ON_CLOSED and becomes a dead letter; a blocked ask rejects ERR_ACTOR_STOPPED).
 *   - Every accepted ask settles exactly once: reply, its own timeout/abort, or the crash.
 *   - `tell` resolves once the message is in the mailbox (backpressure: it waits for room).
 */
import { Channel } from '../channels/index.js';
import { type DeadLetters, deadLetters as defaultDeadLetters } from './dead-letters.js';
import {
  ActorCrashedError,
  ActorStoppedError,
  AskTimeoutError,
  InvalidArgumentError,
} from './errors.js';

export type ExitReason = { reason: 'stopped' } | { reason: 'crashed'; error: unknown };

export interface ActorContext<M, R> {
  readonly name: string;
  readonly self: ActorRef<M, R>;
  /** Aborted when the actor leaves RUNNING (stop or crash): pass it to long operations. */
  readonly signal: AbortSignal;
}

export type BehaviorFn<M, R> = (msg: M, ctx: ActorContext<M, R>) => R | Promise<R>;
export interface BehaviorObject<M, R> {
  started?(ctx: ActorContext<M, R>): void | Promise<void>;
  receive: BehaviorFn<M, R>;
  stopped?(ctx: ActorContext<M, R>): void | Promise<void>;
}
/** A function (receive only) or an object with optional `started`/`stopped` hooks. */
export type Behavior<M, R> = BehaviorFn<M, R> | BehaviorObject<M, R>;

export interface AskOptions {
  /** Milliseconds before the ask rejects with ERR_ASK_TIMEOUT. Mandatory. */
  timeout: number;
  signal?: AbortSignal;
}

export interface SpawnOptions {
  /** For logs and dead letters. @default 'actor-<n>' */
  name?: string;
  /** Mailbox capacity; a full mailbox makes `tell`/`ask` wait. @default 64 */
  mailbox?: number;
  /** Where messages to a stopped actor go. @default the process-wide `deadLetters` */
  deadLetters?: DeadLetters;
}

export const SPAWN_DEFAULTS = Object.freeze({ mailbox: 64 });

/** The handle to an actor: the only way to talk to it. */
export interface ActorRef<M, R = void> {
  readonly name: string;
  /** Put a message in the mailbox (waits for room). After stop: a dead letter. */
  tell(msg: M): Promise<void>;
  /** Send and await the behaviour's return value, within `options.timeout` ms. */
  ask(msg: M, options: AskOptions): Promise<R>;
  /** Drain queued messages, run `stopped`, exit. Idempotent; extra callers wait. */
  stop(): Promise<void>;
  /** Resolves once the actor is STOPPED or CRASHED. */
  readonly exited: Promise<ExitReason>;
  readonly running: boolean;
}

interface Envelope<M, R> {
  msg: M;
  reply?: { resolve(v: R): void; reject(e: unknown): void };
}

type State = 0 | 1 | 2 | 3;
const RUNNING: State = 0;
const STOPPING: State = 1;
const STOPPED: State = 2;
const CRASHED: State = 3;

let seq = 0;

export function spawn<M, R = void>(
  behavior: Behavior<M, R>,
  options: SpawnOptions = {},
): ActorRef<M, R> {
  const b: BehaviorObject<M, R> = typeof behavior === 'function' ? { receive: behavior } : behavior;
  if (typeof b?.receive !== 'function') {
    throw new InvalidArgumentError('behavior must be a function or an object with receive()');
  }
  const mailbox = options.mailbox ?? SPAWN_DEFAULTS.mailbox;
  if (!Number.isInteger(mailbox) || mailbox < 1) {
    throw new InvalidArgumentError('options.mailbox must be a positive integer');
  }
  return new Actor(b, options.name ?? `actor-${++seq}`, mailbox, options.deadLetters);
}

class Actor<M, R> implements ActorRef<M, R> {
  readonly name: string;
  readonly exited: Promise<ExitReason>;
  #state: State = RUNNING;
  #mailbox: Channel<Envelope<M, R>>;
  #b: BehaviorObject<M, R>;
  #dead: DeadLetters;
  #abort = new AbortController();
  #stopping: Promise<void> | undefined;
  #exit!: (r: ExitReason) => void;

  constructor(b: BehaviorObject<M, R>, name: string, mailbox: number, dead?: DeadLetters) {
    this.name = name;
    this.#b = b;
    this.#mailbox = new Channel(mailbox);
    this.#dead = dead ?? defaultDeadLetters;
    this.exited = new Promise((resolve) => (this.#exit = resolve));
    void this.#loop();
  }

  get running(): boolean {
    return this.#state === RUNNING;
  }

  async tell(msg: M): Promise<void> {
    if (this.#state !== RUNNING) return this.#deadLetter(msg, false, 'stopped');
    try {
      await this.#mailbox.send({ msg });
    } catch {
      // Closed while we waited for room: the actor left RUNNING.
      this.#deadLetter(msg, false, this.#exitKind());
    }
  }

  ask(msg: M, options: AskOptions): Promise<R> {
    const timeout = options?.timeout;
    if (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout)) {
      return Promise.reject(
        new InvalidArgumentError('options.timeout must be a positive finite number of ms'),
      );
    }
    if (this.#state !== RUNNING) {
      this.#deadLetter(msg, true, 'stopped');
      return Promise.reject(new ActorStoppedError(`${this.name} is stopped`));
    }
    return new Promise<R>((resolve, reject) => {
      const signal = options.signal;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const timer = setTimeout(() => {
        done();
        reject(new AskTimeoutError(`${this.name}: no reply within ${timeout} ms`));
      }, timeout);
      const onAbort = () => {
        done();
        reject(signal?.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const reply = {
        resolve: (v: R) => {
          done();
          resolve(v);
        },
        reject: (e: unknown) => {
          done();
          reject(e);
        },
      };
      this.#mailbox.send({ msg, reply }, signal).catch(() => {
        if (signal?.aborted) return; // onAbort already rejected
        this.#deadLetter(msg, true, this.#exitKind());
        reply.reject(new ActorStoppedError(`${this.name} stopped before the ask was queued`));
      });
    });
  }

  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    if (this.#state === RUNNING) {
      this.#state = STOPPING;
      this.#mailbox.close();
      this.#abort.abort(new ActorStoppedError(`${this.name} is stopping`));
    }
    this.#stopping = this.exited.then(() => undefined);
    return this.#stopping;
  }

  async #loop(): Promise<void> {
    const ctx: ActorContext<M, R> = { name: this.name, self: this, signal: this.#abort.signal };
    let current: Envelope<M, R> | undefined;
    try {
      await this.#b.started?.(ctx);
      for (;;) {
        const r = await this.#mailbox.recv();
        if (!r.ok) break;
        current = r.value;
        const out = await this.#b.receive(current.msg, ctx);
        current.reply?.resolve(out);
        current = undefined;
      }
      await this.#b.stopped?.(ctx);
      this.#state = STOPPED;
      this.#exit({ reason: 'stopped' });
    } catch (error) {
      this.#crash(error, current);
    }
  }

  #crash(error: unknown, current: Envelope<M, R> | undefined): void {
    const wasRunning = this.#state === RUNNING;
    this.#state = CRASHED;
    if (wasRunning) this.#mailbox.close();
    this.#abort.abort(new ActorCrashedError(`${this.name} crashed`, { cause: error }));
    current?.reply?.reject(new ActorCrashedError(`${this.name} crashed`, { cause: error }));
    for (let r = this.#mailbox.tryRecv(); r?.ok; r = this.#mailbox.tryRecv()) {
      this.#deadLetter(r.value.msg, r.value.reply !== undefined, 'crashed');
      r.value.reply?.reject(new ActorCrashedError(`${this.name} crashed`, { cause: error }));
    }
    this.#exit({ reason: 'crashed', error });
  }

  #exitKind(): 'stopped' | 'crashed' {
    return this.#state === CRASHED ? 'crashed' : 'stopped';
  }

  #deadLetter(message: M, ask: boolean, reason: 'stopped' | 'crashed'): void {
    this.#dead.publish({ actor: this.name, message, reason, ask });
  }
}
