/**
 * One run of a deletion task (deletion.task.ts): what settled so far, and its stop — the task's
 * deadline, or the scheduler's stop (task.signals, task-signals.ts) — which every store call is
 * checked against first.
 */
import { serializeError } from '../errors.js';
import type { DeletionOutcome, DeletionTask } from './deletion-types.js';
import { TaskDeadlineError } from './errors.js';
import { isStopping, STOP_POLL_MS, STOP_SETTLE_MS } from './task-signals.js';

export type Failure = { code: string; message: string };
export type Settled = {
  outcome: DeletionOutcome;
  error?: Failure;
  unanswered?: true;
  start: number;
  end: number;
};

export function failure(step: string, err: unknown): Failure {
  const message = `${step}: ${err instanceof Error ? err.message : String(err)}`;
  return { code: serializeError(err).code, message };
}

/** One run of a task: what settled so far, and whether its deadline stopped it. */
export class Run {
  readonly settled = new Map<string, Settled>();
  /** The ids whose lease was confirmed, once known. */
  held: ReadonlySet<string> | undefined;
  stopped = false;
  /** The completion calls issued and not answered yet, each with its ids. */
  readonly #completing = new Map<Promise<unknown>, readonly string[]>();
  constructor(readonly task: DeletionTask) {}

  /** `call`, the completion of `ids`, tracked until it answers (see settleCompletions). */
  completing<T>(ids: readonly string[], call: Promise<T>): Promise<T> {
    this.#completing.set(call, ids);
    const forget = () => this.#completing.delete(call);
    call.then(forget, forget);
    return call;
  }

  /** True while the completion of `videoId` is issued and not answered. */
  isCompleting(videoId: string): boolean {
    for (const ids of this.#completing.values()) if (ids.includes(videoId)) return true;
    return false;
  }

  /**
   * Once due: waits until the completions in flight answered, or task.settleBy (absent: none is
   * waited for), and once the scheduler stops, at most STOP_SETTLE_MS after the task saw the stop.
   * Why: a completion the store applied (its records removed) but whose answer the close cut off
   * was reported failed, and a removed record is never claimed again, so no task ever reported
   * that deletion done (MongoDB: closing the client fails the calls in flight). The stop's bound
   * (STOP_SETTLE_MS, within TASKS_STOP_MS) applies to a wait the deadline began as well.
   */
  async settleCompletions(): Promise<void> {
    const { settleBy, signals } = this.task;
    if (this.#completing.size === 0 || settleBy === undefined) return;
    let until = settleBy;
    let stopSeen = false;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      const poll = () => {
        const now = Date.now();
        if (!stopSeen && this.stopping()) {
          stopSeen = true;
          until = Math.min(until, now + STOP_SETTLE_MS);
        }
        if (now >= until) return resolve();
        timer = setTimeout(poll, signals ? Math.min(STOP_POLL_MS, until - now) : until - now);
      };
      poll();
    });
    await Promise.race([Promise.allSettled(this.#completing.keys()), bound]);
    clearTimeout(timer);
  }

  /** A step's failure; once stopped, the deadline's (the close it made fails the calls in flight). */
  failure(step: string, err: unknown): Failure {
    return failure(step, this.stopped ? this.stopError() : err);
  }

  /** The scheduler cut its rounds off. */
  stopping(): boolean {
    return isStopping(this.task.signals);
  }

  /** Past the deadline, or stopping. */
  due(): boolean {
    return Date.now() >= this.task.deadline || this.stopping();
  }

  /** Why the task stopped. */
  stopError(): TaskDeadlineError {
    return new TaskDeadlineError(this.task.deadline, this.stopping());
  }

  /** Before every store call: none starts once due. */
  check(): void {
    if (this.stopped || this.due()) {
      this.stopped = true;
      throw this.stopError();
    }
  }

  /** Resolves once due: at the deadline, or within STOP_POLL_MS of a stop. */
  whenDue(): { promise: Promise<'due'>; cancel(): void } {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<'due'>((resolve) => {
      const poll = () => {
        if (this.due()) return resolve('due');
        const left = this.task.deadline - Date.now();
        timer = setTimeout(poll, this.task.signals ? Math.min(STOP_POLL_MS, left) : left);
      };
      poll();
    });
    return { promise, cancel: () => clearTimeout(timer) };
  }
}
