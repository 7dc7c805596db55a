/**
 * The scheduler's errors, in the project's one catalog (src/errors.ts). Every error a caller can
 * observe from `src/scheduler` and the scheduler REST service is a `SchedulerError` with a stable
 * `code`; a deletion task's failure crosses the pool as `{ code, message }` (serializeError) and
 * is stored in the record's `lastError` as `code: message`.
 */
import { defineErrors, VideoServerError } from '../errors.js';

export type SchedulerErrorCode = 'ERR_SCHEDULER_OPTION' | 'ERR_RUNNER_CLOSED' | 'ERR_TASK_DEADLINE';

export class SchedulerError extends VideoServerError {
  declare readonly code: SchedulerErrorCode;
  constructor(code: SchedulerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A bad option; the message names it (`options.leaseMs must be …`). */
export class SchedulerOptionError extends SchedulerError {
  constructor(message: string) {
    super('ERR_SCHEDULER_OPTION', message);
  }
}

/** `startAll()` on a runner that is not long-lived and already ran its round (its channels are closed). */
export class RunnerClosedError extends SchedulerError {
  constructor(name: string) {
    super('ERR_RUNNER_CLOSED', `runner ${name} is closed (not long-lived, its round is over)`);
  }
}

/**
 * A deletion task reached its deadline (taskTimeoutMs after its submission) before this video
 * settled, or a stop cut the scheduler's rounds off: the task stopped by itself, starting no store
 * call after it; the video is retried (after a stop: once its lease ends).
 */
export class TaskDeadlineError extends SchedulerError {
  constructor(deadline: number, stopping = false) {
    const at = new Date(deadline).toISOString();
    super(
      'ERR_TASK_DEADLINE',
      stopping
        ? 'the scheduler stopped past its deadline first'
        : `the task reached its deadline (${at}, taskTimeoutMs) first`,
    );
  }
}

defineErrors('scheduler', {
  ERR_SCHEDULER_OPTION: SchedulerOptionError,
  ERR_RUNNER_CLOSED: RunnerClosedError,
  ERR_TASK_DEADLINE: TaskDeadlineError,
});
