/**
 * The contract between the HTTP host and the services it mounts.
 *
 * Each HTTP thread opens its own stores (LMDB and the MongoDB driver both work per thread), builds
 * one ServiceContext, and for every service this process runs creates a uWS App on that service's
 * port and calls the service's `mount` function on it, then adds the catch-all 404.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { StatsView } from '../scheduler/stats.js';
import type { BlobStore, DeletionQueue, RecordStore } from '../store/types.js';

/** The per-thread face of the limiter actor (src/actors LimiterClient satisfies it). */
export interface TokenLimiter {
  tryAcquire(): boolean;
  release(): void;
}

export interface ServiceContext {
  readonly config: Config;
  readonly records: RecordStore;
  readonly queue: DeletionQueue;
  readonly blobs: BlobStore;
  /** The stream service's limiter; undefined in processes that do not run the stream service. */
  readonly limiter: TokenLimiter | undefined;
  /**
   * The scheduler's counters and actor tree (received over a cross-thread channel,
   * src/scheduler/stats.ts) when this process runs the scheduler; undefined otherwise.
   */
  readonly schedulerBoard?: StatsView | undefined;
  readonly log: Logger;
  /**
   * The clock sessions are created, slid and expired by (ms since the epoch); `Date.now` when
   * absent. A real parameter so a caller (the api tests) can move time instead of waiting for it.
   */
  readonly now?: (() => number) | undefined;
  /**
   * Tells the process's other HTTP threads that `accountKey` signed in, so they lift its
   * in-memory sign-in block (src/http/api/throttle.ts). Wired by the thread entry to its host;
   * best effort and never blocking. Absent when there is no other thread to tell.
   */
  readonly announceSignIn?: ((accountKey: string) => void) | undefined;
}

/** What a service module exports: registers its routes (not the 404 catch-all) on `app`. */
export type MountService = (app: TemplatedApp, ctx: ServiceContext) => void | Promise<void>;
