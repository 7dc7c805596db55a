/**
 * One run of a deletion task (deletion.task.ts): what settled so far, and its stop — the task's
 * deadline, or the scheduler's stop (task.signals, task-signals.ts) — which every store call is
 * checked against first.
 */
import { serializeError } from '../errors.js';
import type { DeletionOutcome, DeletionTask } from './deletion-types.js';
import { TaskDeadlineError } from './errors.js';
import { isStopping, STOP_POLL_MS } from './task-signals.js';

export type Failure = { code: string; message: string };
export type Settled = { outcome: DeletionOutcome; error?: Failure; start: number; end: number };

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
  constructor(readonly task: DeletionTask) {}

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
