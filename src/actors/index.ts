/** The actor layer's public surface: actors, supervision, thread actors, pools, the limiter. */
export {
  type ActorContext,
  type ActorRef,
  type AskOptions,
  type Behavior,
  type BehaviorFn,
  type BehaviorObject,
  type ExitReason,
  type SpawnOptions,
  spawn,
} from './actor.js';
export {
  type DeadLetter,
  type DeadLetterListener,
  DeadLetters,
  deadLetters,
} from './dead-letters.js';
export {
  ActorCrashedError,
  ActorError,
  ActorStoppedError,
  AskTimeoutError,
  InvalidArgumentError,
  isSerializedError,
  LimiterOverReleaseError,
  PoolBusyError,
  PoolClosedError,
  RemoteError,
  rebuildError,
  type SerializedError,
  ShutdownTimeoutError,
  SupervisorGaveUpError,
  serializeError,
  TaskAbortedError,
  WorkerExitedError,
} from './errors.js';
export {
  type LimiterOptions,
  type LimiterRate,
  type LimiterRef,
  type LimiterStats,
  spawnLimiter,
} from './limiter.js';
export { LimiterClient, reclaimHolder } from './limiter-client.js';
export { type SupervisedLimiter, supervisedLimiter } from './limiter-supervised.js';
export { createPool, type Pool, type PoolOptions, type RunOptions } from './pool.js';
export { defineTask, type TaskEnvelope } from './pool-task.js';
export {
  type ChildInfo,
  type ChildSpec,
  type RestartKind,
  type Supervisable,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
  startSupervisor,
  validateRestartBudget,
} from './supervisor.js';
export {
  type Calls,
  spawnThreadActor,
  ThreadActor,
  type ThreadActorOptions,
} from './thread-actor.js';
export { exposeThreadActor } from './thread-actor-host.js';
