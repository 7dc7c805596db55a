/**
 * The scheduler's signals to its deletion tasks: one SharedArrayBuffer created by startScheduler,
 * handed to the executor thread (ThreadData.signals) and to every task (DeletionTask.signals);
 * structured clone shares its memory, so all threads see one pair of slots:
 *   STOP_SLOT     1 once a stop cuts the rounds off (CleanupThreads.kill → stopTasks): every task
 *                 stops as at its deadline — no store call started after it, its thread's stores
 *                 closed, an answer — and the executor writes nothing more;
 *   RUNNING_SLOT  tasks inside runDeletions and actor-thread store calls in flight
 *                 (unlessStopping), so the stop ends no thread before they are done. A thread
 *                 ended while counted (a backstop abort, a wedged actor's kill) leaves its count:
 *                 a later stop then waits its full bound, TASKS_STOP_MS.
 * Why: ending a thread inside an lmdb-js native call aborts the whole process
 * (src/store/lmdb-env.ts), and kill() ended the actor threads and the pool threads with them.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../log.js';

export const STOP_SLOT = 0;
export const RUNNING_SLOT = 1;

/** How soon a task waiting on a store call notices a stop: a stop waits about that long. */
export const STOP_POLL_MS = 50;

/**
 * How long a stop waits for the running tasks to answer (they notice within STOP_POLL_MS and close
 * their stores, which waits for the write in flight) before ending their threads anyway: a
 * thread whose event loop is blocked cannot answer.
 */
export const TASKS_STOP_MS = 5000;

export function taskSignals(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

export function isStopping(signals: SharedArrayBuffer | undefined): boolean {
  return signals !== undefined && Atomics.load(new Int32Array(signals), STOP_SLOT) === 1;
}

/** Tells the tasks to stop and waits (bounded) until none is running. */
export async function stopTasks(signals: SharedArrayBuffer, log: Logger): Promise<void> {
  const slots = new Int32Array(signals);
  Atomics.store(slots, STOP_SLOT, 1);
  const until = Date.now() + TASKS_STOP_MS;
  for (;;) {
    const running = Atomics.load(slots, RUNNING_SLOT);
    if (running <= 0) return;
    if (Date.now() >= until) {
      log.warn('deletion tasks did not stop in time: ending their threads', { running });
      return;
    }
    await delay(10);
  }
}

/**
 * Runs `fn` (an actor thread's store call) counted in RUNNING_SLOT, unless a stop began: then
 * `fn` does not start and `stopped` is returned. The count is taken before the flag is read, and
 * the stop sets the flag before it reads the count (Atomics are sequentially consistent): either
 * the call sees the stop, or the stop sees the call and waits for it.
 */
export async function unlessStopping<T, S>(
  signals: SharedArrayBuffer,
  stopped: S,
  fn: () => Promise<T>,
): Promise<T | S> {
  const slots = new Int32Array(signals);
  Atomics.add(slots, RUNNING_SLOT, 1);
  try {
    if (Atomics.load(slots, STOP_SLOT) === 1) return stopped;
    return await fn();
  } finally {
    Atomics.sub(slots, RUNNING_SLOT, 1);
  }
}
