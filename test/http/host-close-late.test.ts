/**
 * The host's judgement of a thread late to close (src/http/host-close.ts closeThread), on a fake
 * clock (vitest's fake timers: Date and setTimeout) with a real heartbeat board and a stand-in
 * thread passed as closeThread's thread (its close command recorded, its exit resolved by the
 * test):
 * - the host's own loop stalled right when the thread became late (the wait for its exit fired
 *   20 s after it was due, and the thread's slot went as long without a beat: the whole process
 *   was not scheduled): that first check decides nothing; the next check, on time, sees the
 *   thread beat, the host says it waits, and the thread's exit ends the close (before: the thread
 *   was abandoned at that first check — in the real host, the process then ends by SIGKILL);
 * - on time, a thread silent for STALE_MS when it becomes late is abandoned at once, and one that
 *   beats then but stops later is abandoned at the next on-time check: the guard only spares a
 *   check that was itself late.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { HEARTBEAT_MS, Heartbeats, STALE_MS } from '../../src/http/common/health.js';
import { CLOSE_GRACE_MS, closeThread } from '../../src/http/host-close.js';
import type { Thread } from '../../src/http/host-thread.js';
import type { Logger } from '../../src/log.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A thread as closeThread sees it, at index 0 (heartbeat slot 1); `exit` ends it. */
function standIn() {
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const sent: unknown[] = [];
  const t = {
    index: 0,
    closing: false,
    wedged: false,
    abandoned: false,
    exited,
    control: { trySend: (cmd: unknown) => sent.push(cmd) },
    abandon() {
      t.abandoned = true;
    },
  };
  return { t, thread: t as unknown as Thread, exit, sent };
}

function recorder() {
  const lines: Array<{ msg: string } & Record<string, unknown>> = [];
  const put = (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, ...fields });
  const log: Logger = {
    debug: put,
    info: put,
    warn: put,
    error: put,
    child: () => log,
    bind: () => log,
  };
  return { log, msgs: () => lines.map((l) => l.msg) };
}

const LATE = 'HTTP thread late to close but still beating: waiting longer';
const STOPPED = 'HTTP thread late to close stopped beating: abandoning it';

function board() {
  const heartbeats = new Heartbeats(1);
  const slots = new Float64Array(heartbeats.buffer);
  return { heartbeats, beat: () => void (slots[1] = Date.now()) };
}

it('a host stalled when the thread became late judges nothing then; the thread that beats is waited for', async () => {
  const { heartbeats, beat } = board();
  const { t, thread, exit, sent } = standIn();
  const { log, msgs } = recorder();
  beat();
  const closed = closeThread(thread, 0, 0, { heartbeats, log, aliveMs: 60_000 });
  expect(sent).toEqual([{ type: 'close', deadlineMs: 0, graceMs: 0 }]);
  // Nothing ran for 20 s — the host's timer nor the thread's beat — then the wait ends late.
  vi.setSystemTime(Date.now() + 20_000);
  await vi.advanceTimersByTimeAsync(CLOSE_GRACE_MS);
  expect(heartbeats.silentMs(1)).toBeGreaterThanOrEqual(STALE_MS);
  expect(t.abandoned).toBe(false);
  expect(msgs()).toEqual([]);
  // Scheduled again, the thread beats; the next check is on time and sees it.
  beat();
  await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
  expect(msgs()).toEqual([LATE]);
  exit(0);
  await expect(closed).resolves.toBe(true);
  expect(t.abandoned).toBe(false);
});

it('on time, a thread silent when it becomes late is abandoned at once', async () => {
  const { heartbeats, beat } = board();
  const { t, thread } = standIn();
  const { log, msgs } = recorder();
  beat();
  vi.setSystemTime(Date.now() + STALE_MS); // its last beat is that old already
  const closed = closeThread(thread, 0, 0, { heartbeats, log, aliveMs: 60_000 });
  await vi.advanceTimersByTimeAsync(CLOSE_GRACE_MS);
  await expect(closed).resolves.toBe(false);
  expect(t.abandoned).toBe(true);
  expect(msgs()).toEqual([]);
});

it('on time, a late thread whose beats stop is abandoned at the next check', async () => {
  const { heartbeats, beat } = board();
  const { t, thread } = standIn();
  const { log, msgs } = recorder();
  beat();
  const closed = closeThread(thread, 0, 0, { heartbeats, log, aliveMs: 60_000 });
  await vi.advanceTimersByTimeAsync(CLOSE_GRACE_MS);
  expect(msgs()).toEqual([LATE]);
  // No beat from here on: checks every HEARTBEAT_MS, each on time, until one finds it stale.
  await vi.advanceTimersByTimeAsync(STALE_MS);
  await expect(closed).resolves.toBe(false);
  expect(t.abandoned).toBe(true);
  expect(msgs()).toEqual([LATE, STOPPED]);
});
