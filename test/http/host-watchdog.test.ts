/**
 * The HTTP host's watchdog (src/http/host-watchdog.ts) on a heartbeat board of its own, in this
 * thread: a silent watched thread is declared once, with its index and silence; an unwatched one
 * never; a check that runs late (this thread was blocked, as a starved process would be) declares
 * nothing, and the next check on time sees the beat that came meanwhile. Waits are bounded polls.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { ThreadWedgedError } from '../../src/http/common/errors.js';
import { Heartbeats } from '../../src/http/common/health.js';
import { startWatchdog, type Watched } from '../../src/http/host-watchdog.js';
import { createLogger } from '../../src/log.js';

const log = createLogger('watchdog-test', 'silent');
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function board(threads: number) {
  const hb = new Heartbeats(threads);
  const slots = new Float64Array(hb.buffer);
  const beat = (index: number) => {
    slots[index + 1] = Date.now();
  };
  return { hb, beat };
}

it('declares a silent watched thread once, never an unwatched one', async () => {
  const { hb, beat } = board(2);
  beat(0);
  beat(1);
  const watched: Watched[] = [{ index: 0, wedged: false }];
  const wedged: ThreadWedgedError[] = [];
  stops.push(
    startWatchdog(
      hb,
      () => watched,
      { deadlineMs: 2000 },
      log,
      (e) => wedged.push(e),
    ),
  );
  // Thread 1 is silent too, but not watched (a thread still starting): never declared.
  await vi.waitFor(() => expect(wedged).toHaveLength(1), { timeout: 30_000, interval: 50 });
  expect(wedged[0]).toBeInstanceOf(ThreadWedgedError);
  expect(wedged[0]).toMatchObject({ code: 'ERR_HTTP_THREAD_WEDGED', threadIndex: 0 });
  expect(wedged[0]!.silentMs).toBeGreaterThan(2000);
  expect(watched[0]!.wedged).toBe(true);
  // Stopped after the first: later checks declare nothing more.
  watched.push({ index: 1, wedged: false });
  await new Promise((r) => setTimeout(r, 1500));
  expect(wedged).toHaveLength(1);
});

it('a late check (this thread was blocked) declares nothing; the thread beats again and is spared', async () => {
  const { hb, beat } = board(1);
  beat(0);
  const watched: Watched[] = [{ index: 0, wedged: false }];
  const wedged: ThreadWedgedError[] = [];
  const checks = { deadlineMs: 2000, checkEveryMs: 500 };
  stops.push(
    startWatchdog(
      hb,
      () => watched,
      checks,
      log,
      (e) => wedged.push(e),
    ),
  );
  // This thread is blocked for 4 s (twice the deadline) right away, as a starved process would
  // be: the watched thread's last beat is then 4 s old when the first check runs, and that check
  // is late itself. The beat resumes from a timer made after the block, due before the next check.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4000);
  let beating: NodeJS.Timeout | undefined;
  setTimeout(() => {
    beat(0);
    beating = setInterval(() => beat(0), 200);
  }, 100);
  stops.push(() => clearInterval(beating));
  await new Promise((r) => setTimeout(r, 3000));
  expect(wedged).toEqual([]); // without the late-check rule the first check declared it
  // Now it really goes silent: declared within a bounded wait.
  clearInterval(beating);
  await vi.waitFor(() => expect(wedged).toHaveLength(1), { timeout: 30_000, interval: 50 });
});

it('rejects a deadline near the heartbeat, naming the option', () => {
  const { hb } = board(1);
  expect(() =>
    startWatchdog(
      hb,
      () => [],
      { deadlineMs: 1500 },
      log,
      () => {},
    ),
  ).toThrow(/options.deadlineMs/);
  expect(() =>
    startWatchdog(
      hb,
      () => [],
      { deadlineMs: 0 },
      log,
      () => {},
    ),
  ).not.toThrow();
});
