/**
 * The actor layer's errors, in the project's one catalog (src/errors.ts): a base class for the
 * area, one subclass per condition, registered by code so that an error crossing a thread (thread
 * actors, pools: structured clone keeps the message but drops the class and `code`) comes back
 * as the same class through `rebuildError`.
 */
import { defineErrors, VideoServerError } from '../errors.js';

export {
  isSerializedError,
  RemoteError,
  rebuildError,
  type SerializedError,
  serializeError,
} from '../errors.js';

export class ActorError extends VideoServerError {}

/** `ask` got no reply within its timeout. */
export class AskTimeoutError extends ActorError {
  constructor(message = 'ask timed out') {
    super('ERR_ASK_TIMEOUT', message);
  }
}

/** The actor was stopped (or is stopping) before it could handle the message. */
export class ActorStoppedError extends ActorError {
  constructor(message = 'actor is stopped') {
    super('ERR_ACTOR_STOPPED', message);
  }
}

/** The actor's behaviour threw (or its worker died) while the message was pending. */
export class ActorCrashedError extends ActorError {
  constructor(message = 'actor crashed', options?: { cause?: unknown }) {
    super('ERR_ACTOR_CRASHED', message, options);
  }
}

/** More restarts than the intensity allows: the supervisor stopped its children and escalated. */
export class SupervisorGaveUpError extends ActorError {
  constructor(message = 'supervisor gave up', options?: { cause?: unknown }) {
    super('ERR_SUPERVISOR_GAVE_UP', message, options);
  }
}

/** A worker thread exited or was restarted while calls to it were pending. */
export class WorkerExitedError extends ActorError {
  constructor(message = 'worker exited') {
    super('ERR_WORKER_EXITED', message);
  }
}

/** A child did not stop within its shutdown deadline and was abandoned/terminated. */
export class ShutdownTimeoutError extends ActorError {
  constructor(message = 'shutdown deadline exceeded') {
    super('ERR_SHUTDOWN_TIMEOUT', message);
  }
}

/** Caller misuse: a bad option or argument, named in the message. */
export class InvalidArgumentError extends ActorError {
  constructor(message: string) {
    super('ERR_ACTOR_INVALID_ARGUMENT', message);
  }
}

/** A pool task was aborted through its AbortSignal. */
export class TaskAbortedError extends ActorError {
  constructor(message = 'task aborted') {
    super('ERR_TASK_ABORTED', message);
  }
}

/** A pool is closed (or closing) and takes no more tasks. */
export class PoolClosedError extends ActorError {
  constructor(message = 'pool is closed') {
    super('ERR_POOL_CLOSED', message);
  }
}

/** A pool's task queue is full (piscina's maxQueue): back off and retry, nothing ran. */
export class PoolBusyError extends ActorError {
  constructor(message = 'pool task queue is full') {
    super('ERR_POOL_BUSY', message);
  }
}

/** `LimiterClient.release()` without a matching successful `tryAcquire()`. */
export class LimiterOverReleaseError extends ActorError {
  constructor(message = 'limiter release() without a matching tryAcquire()') {
    super('ERR_LIMITER_OVER_RELEASE', message);
  }
}

defineErrors('actors', {
  ERR_ASK_TIMEOUT: AskTimeoutError,
  ERR_ACTOR_STOPPED: ActorStoppedError,
  ERR_ACTOR_CRASHED: ActorCrashedError,
  ERR_SUPERVISOR_GAVE_UP: SupervisorGaveUpError,
  ERR_WORKER_EXITED: WorkerExitedError,
  ERR_SHUTDOWN_TIMEOUT: ShutdownTimeoutError,
  ERR_ACTOR_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_TASK_ABORTED: TaskAbortedError,
  ERR_POOL_BUSY: PoolBusyError,
  ERR_POOL_CLOSED: PoolClosedError,
  ERR_LIMITER_OVER_RELEASE: LimiterOverReleaseError,
});
