/**
 * A thread for test/ops/log-lock.test.ts: takes fd's write lock (src/log-lock.ts) `holds` times,
 * each for `holdMs` (Infinity: it hangs holding it, as a lost holder looks to the others), with
 * the take-over bound `stealMs`. It counts the threads inside the lock in `shared` ([0]: now,
 * [1]: the most at once), posts `{ ready }` before its first take, `{ holding }` once inside the
 * first time, and `{ takenFrom }` (the threadIds it took the lock over from) at the end.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { lockFd, unlockFd } from '../../src/log-lock.js';

export interface LockPlan {
  fd: number;
  stealMs: number;
  holds: number;
  holdMs: number;
  shared: SharedArrayBuffer;
}

const { fd, stealMs, holds, holdMs, shared } = workerData as LockPlan;
const inside = new Int32Array(shared);
const pause = new Int32Array(new SharedArrayBuffer(4));
const takenFrom: number[] = [];
parentPort!.postMessage({ ready: threadId });
for (let n = 0; n < holds; n++) {
  const from = lockFd(fd, stealMs);
  if (from !== 0) takenFrom.push(from - 1);
  const now = Atomics.add(inside, 0, 1) + 1;
  for (let most = Atomics.load(inside, 1); now > most; most = Atomics.load(inside, 1)) {
    if (Atomics.compareExchange(inside, 1, most, now) === most) break;
  }
  if (n === 0) parentPort!.postMessage({ holding: threadId });
  Atomics.wait(pause, 0, 0, holdMs);
  Atomics.sub(inside, 0, 1);
  unlockFd(fd);
}
parentPort!.postMessage({ takenFrom });
