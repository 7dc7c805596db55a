/**
 * The actor layer's error catalog: one base class with a stable `code`, one subclass per
 * condition. Errors cross threads (thread actors, pools) as plain `{ code, message, name }`
 * objects and are rebuilt on the other side as the same class through a registry keyed by
 * code — structured clone keeps an Error's message but drops its class and custom fields.
 * Other areas register their own classes with `registerErrorClass` so that their errors thrown
 * inside a pool task come back as themselves.
 */

export class ActorError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

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

/** `LimiterClient.release()` without a matching successful `tryAcquire()`. */
export class LimiterOverReleaseError extends ActorError {
  constructor(message = 'limiter release() without a matching tryAcquire()') {
    super('ERR_LIMITER_OVER_RELEASE', message);
  }
}

/** An error from another thread whose code has no registered class. */
export class RemoteError extends ActorError {}

/** What crosses a thread boundary. */
export interface SerializedError {
  code: string;
  message: string;
  name?: string;
}

type ErrorClass = new (message: string) => Error;
const registry = new Map<string, ErrorClass>();

/** Make `code` rebuild as `ctor` (whose constructor must accept a message as first argument). */
export function registerErrorClass(code: string, ctor: ErrorClass): void {
  registry.set(code, ctor);
}

for (const [code, ctor] of [
  ['ERR_ASK_TIMEOUT', AskTimeoutError],
  ['ERR_ACTOR_STOPPED', ActorStoppedError],
  ['ERR_ACTOR_CRASHED', ActorCrashedError],
  ['ERR_SUPERVISOR_GAVE_UP', SupervisorGaveUpError],
  ['ERR_WORKER_EXITED', WorkerExitedError],
  ['ERR_SHUTDOWN_TIMEOUT', ShutdownTimeoutError],
  ['ERR_ACTOR_INVALID_ARGUMENT', InvalidArgumentError],
  ['ERR_TASK_ABORTED', TaskAbortedError],
  ['ERR_POOL_CLOSED', PoolClosedError],
  ['ERR_LIMITER_OVER_RELEASE', LimiterOverReleaseError],
] as const) {
  registerErrorClass(code, ctor);
}

/** Any thrown value → `{code, message, name}`; errors without a string code get `ERR_UNKNOWN`. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      code: typeof code === 'string' ? code : 'ERR_UNKNOWN',
      message: err.message,
      name: err.name,
    };
  }
  return { code: 'ERR_UNKNOWN', message: String(err) };
}

/** The inverse of `serializeError`: the registered class for the code, else a RemoteError. */
export function rebuildError(data: SerializedError): Error {
  const ctor = registry.get(data.code);
  if (ctor) {
    const err = new ctor(data.message);
    // Classes that set `code` themselves keep it; classes that take it from a field get it here.
    if ((err as { code?: unknown }).code === undefined) {
      Object.defineProperty(err, 'code', { value: data.code, enumerable: true });
    }
    return err;
  }
  const err = new RemoteError(data.code, data.message);
  if (data.name) err.name = data.name;
  return err;
}

/** True for a plain `{code: string, message: string}` object (what serializeError produces). */
export function isSerializedError(v: unknown): v is SerializedError {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as SerializedError).code === 'string' &&
    typeof (v as SerializedError).message === 'string'
  );
}
