/**
 * The scheduler's board layout, in a module of its own so an HTTP thread can attach to the board
 * without loading the scheduler: which runners and which actors have rows.
 */
import { StatsBoard } from './stats.js';

export const DISPATCHER = 'video-cleanup.dispatcher';
export const EXECUTOR = 'video-cleanup.executor';

export const RUNNER_NAMES = Object.freeze([
  'video-cleanup',
  'session-purge',
  'lifecycle-sweep',
] as const);
export const ACTOR_NAMES = Object.freeze([DISPATCHER, EXECUTOR] as const);

/** The scheduler's board, new or attached to `buffer` (an HTTP thread reading /stats). */
export function schedulerBoard(buffer?: SharedArrayBuffer): StatsBoard {
  return new StatsBoard(RUNNER_NAMES, buffer, ACTOR_NAMES);
}
