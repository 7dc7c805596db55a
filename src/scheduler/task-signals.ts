/**
 * The scheduler's signals to its deletion tasks: one SharedArrayBuffer created by startScheduler,
 * handed to the executor thread (ThreadData.signals) and to every task (DeletionTask.signals);
 * structured clone shares its memory, so all threads see one pair of slots:
 *   STOP_SLOT     1 once a stop cuts the rounds off (CleanupThreads.kill → stopTasks): every task
 *                 stops as at its deadline — no store call started after it, its thread's stores
 *                 closed, an answer — and the executor writes nothing more;
 *   RUNNING_SLOT  tasks inside runDeletions, the executor's batches until their results are
 *                 settled (counting: its `video deleted` lines), and actor-thread store calls in
 *                 flight (unlessStopping), so the stop ends no thread before they are done. A task
 *                 counts itself with a mark of its own (enterTask/leaveTask): when the pool
 *                 reports it ended without an answer (the backstop abort ended its thread), the
 *                 executor takes its count back. An actor thread's calls are also counted in
 *                 its incarnation's own cell (ThreadData.held): once the thread has exited (a
 *                 wedged actor's kill, a crash), what it still held is taken back (releaseHeld).
 *                 Left: the tasks of an executor thread that was ended while they ran (they end
 *                 with it) — a later stop then waits its full bound, TASKS_STOP_MS.
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

/**
 * How long a stopped task still waits for a completion it has in flight (the store may have
 * applied it: its record is gone and never claimed again, so cutting its answer off loses the
 * deletion's `done`), counted from when the task saw the stop. Half of TASKS_STOP_MS: the other
 * half is for closing the stores and the executor's answer, so the stop's bound is unchanged.
 */
export const STOP_SETTLE_MS = TASKS_STOP_MS / 2;

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
 * Runs `fn` counted in RUNNING_SLOT (and in `held`, the thread incarnation's own cell), so a stop
 * ends no thread before it is done. Counted, then held; on the way out, unheld, then uncounted: a
 * thread ended between the two leaves a count (a later stop waits longer), never a held call
 * that is not counted.
 */
export async function counting<T>(
  signals: SharedArrayBuffer,
  fn: () => Promise<T>,
  held?: SharedArrayBuffer,
): Promise<T> {
  const slots = new Int32Array(signals);
  const mine = held && new Int32Array(held);
  Atomics.add(slots, RUNNING_SLOT, 1);
  if (mine) Atomics.add(mine, 0, 1);
  try {
    return await fn();
  } finally {
    if (mine) Atomics.sub(mine, 0, 1);
    Atomics.sub(slots, RUNNING_SLOT, 1);
  }
}

/**
 * Runs `fn` (an actor thread's store call) counted in RUNNING_SLOT, unless a stop began: then
 * `fn` does not start and `stopped` is returned. The count is taken before the flag is read, and
 * the stop sets the flag before it reads the count (Atomics are sequentially consistent): either
 * the call sees the stop, or the stop sees the call and waits for it.
 */
export function unlessStopping<T, S>(
  signals: SharedArrayBuffer,
  stopped: S,
  fn: () => Promise<T>,
  held?: SharedArrayBuffer,
): Promise<T | S> {
  return counting<T | S>(signals, async () => (isStopping(signals) ? stopped : fn()), held);
}

/** An actor thread incarnation's own count of its calls in RUNNING_SLOT (ThreadData.held). */
export function heldCount(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/**
 * Once that thread has exited (nothing of it runs any more), takes back from RUNNING_SLOT what
 * it still held: calls cut off by its end. Returns how many.
 */
export function releaseHeld(signals: SharedArrayBuffer, held: SharedArrayBuffer): number {
  const n = Atomics.exchange(new Int32Array(held), 0, 0);
  if (n > 0) Atomics.sub(new Int32Array(signals), RUNNING_SLOT, n);
  return n;
}

/** A task's own mark of its count in RUNNING_SLOT: one Int32, made by whoever submits it. */
export function taskMark(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/**
 * The task starts: counted, then marked. A thread ended between the two leaves the count (a
 * later stop waits longer), never a mark without a count (a stop that skips a running task).
 */
export function enterTask(signals: SharedArrayBuffer, mark?: SharedArrayBuffer): void {
  Atomics.add(new Int32Array(signals), RUNNING_SLOT, 1);
  if (mark) Atomics.store(new Int32Array(mark), 0, 1);
}

/**
 * The count is taken back once, by whoever clears the mark: the task on its way out, or its
 * submitter once the pool reported the task ended without an answer (its thread was ended).
 * Without a mark (a task submitted by hand), the task itself takes it back.
 */
export function leaveTask(signals: SharedArrayBuffer, mark?: SharedArrayBuffer): void {
  if (mark && Atomics.compareExchange(new Int32Array(mark), 0, 1, 0) !== 1) return;
  Atomics.sub(new Int32Array(signals), RUNNING_SLOT, 1);
}
