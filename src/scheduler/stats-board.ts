/**
 * The scheduler's board layout, in a module of its own so an HTTP thread can read the board
 * without loading the scheduler: which runners and which actors have rows.
 */
import { StatsBoard, StatsReader } from './stats.js';

export const DISPATCHER = 'video-cleanup.dispatcher';
export const EXECUTOR = 'video-cleanup.executor';

export const RUNNER_NAMES = Object.freeze([
  'video-cleanup',
  'session-purge',
  'lifecycle-sweep',
] as const);
export const ACTOR_NAMES = Object.freeze([DISPATCHER, EXECUTOR] as const);

/** The scheduler's board (the scheduler writes it and publishes it to the HTTP threads). */
export function schedulerBoard(): StatsBoard {
  return new StatsBoard(RUNNER_NAMES, ACTOR_NAMES);
}

/** An HTTP thread's view of the scheduler's board: `shared` is one `board.publishTo()` channel. */
export function schedulerStatsReader(shared: SharedArrayBuffer): StatsReader {
  return new StatsReader(shared, RUNNER_NAMES, ACTOR_NAMES);
}
