/**
 * The scheduler's signals to its deletion tasks: one SharedArrayBuffer created by startScheduler,
 * handed to the executor thread (ThreadData.signals) and to every task (DeletionTask.signals);
 * structured clone shares its memory, so all threads see one pair of slots:
 *   STOP_SLOT     1 once a stop cuts the rounds off (CleanupThreads.kill → stopTasks): every task
 *                 stops as at its deadline — no store call started after it, its thread's stores
 *                 closed, an answer — and the executor writes nothing more;
 *   RUNNING_SLOT  tasks inside runDeletions, so the stop ends no thread before they answered.
 * Why: ending a thread inside an lmdb-js native call aborts the whole process
 * (src/store/lmdb-env.ts), and kill() ended the pool threads with the executor thread.
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
