/**
 * The scheduler (seed: scheduler/taskrunner): a Ticker starts rounds of Runners whose
 * dispatcher and executor are actors on worker threads under a supervisor; deletions run on the
 * executor's pool of task threads.
 */

export type { DeletionResult, DeletionTask } from './deletion-types.js';
export {
  RunnerClosedError,
  SchedulerError,
  type SchedulerErrorCode,
  SchedulerOptionError,
  TaskDeadlineError,
} from './errors.js';
export type { BatchReport } from './executor.js';
export { SCHEDULER_DEFAULTS, type SchedulerOptions } from './options.js';
export {
  CLOSE,
  type Dispatcher,
  type Executor,
  READY_TO_DISPATCH,
  READY_TO_EXECUTE,
  type RoundContext,
  type RoundResult,
  Runner,
  type RunnerOptions,
} from './runner.js';
export {
  type Scheduler,
  type SchedulerDeps,
  type SchedulerStats,
  startScheduler,
} from './start.js';
export {
  type ActorRow,
  COUNTERS,
  type CounterName,
  type RunnerCounters,
  StatsBoard,
  StatsReader,
  type StatsView,
} from './stats.js';
export { ACTOR_NAMES, RUNNER_NAMES, schedulerBoard, schedulerStatsReader } from './stats-board.js';
export { type ScheduledRunner, Ticker, type TickerOptions } from './ticker.js';
