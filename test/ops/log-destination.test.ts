/**
 * The log destination breaks under a running server: stdout (and stderr) are real pipes (FIFOs, as
 * docker hands them) or unix stream sockets (as systemd connects journald) whose reader, the log
 * shipper (test/helpers/piped-server.ts), dies or stalls mid-traffic. The server must
 * keep answering on every port, stay live and ready, keep counting requests in its metrics, and
 * neither exit nor retry a dead pipe forever (counted in write calls, not timed).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import {
  accessLines,
  dropNotices,
  droppedCounted,
  healthy,
  requestsCounted,
  start,
  startWarm,
  traffic,
} from './log-traffic.js';

const STDIO_CLI = fileURLToPath(new URL('../fixtures/http/stdio-cli.ts', import.meta.url));

describe('log destination faults', () => {
  describe.each(['fifo', 'socket'] as const)('stdout a %s', (stdio) => {
    it('stdout’s reader dies mid-traffic (EPIPE): every port keeps answering, live and ready, metrics count every request, the process stays up, and a dead pipe is not retried', {
      timeout: 180_000,
    }, async () => {
      // No stall bound in play: a reader slowed by a loaded machine must not drop the first lines.
      const s = await startWarm({ stdio, env: { LOG_STALL_MS: '60000' }, traceWrites: true });

      await s.out.kill();
      const N = 1200;
      await traffic(s, 'after', N);
      await healthy(s);
      // Each batch of access lines (several lines) was tried once: it failed with EPIPE and was
      // dropped. A writer that retried the dead pipe would write some batch twice (the same bytes:
      // its lines' request ids), or make thousands of writes, or never return.
      const tries = s.failedWrites(1, 'EPIPE');
      expect(tries.length).toBeGreaterThan(0);
      expect(tries.length).toBeLessThan(N);
      expect(new Set(tries).size).toBe(tries.length);
      await vi.waitFor(async () => expect(await requestsCounted(s)).toBe(20 + N), {
        timeout: 30_000,
      });
      // A dead pipe never takes the notice: the metric is where the drops show (each batch is
      // counted when its write fails: within the buffer's flush interval).
      await vi.waitFor(
        async () => expect(await droppedCounted(s, 'EPIPE')).toBeGreaterThanOrEqual(N),
        { timeout: 30_000 },
      );
      expect(s.child.exitCode).toBeNull();
      expect(s.child.signalCode).toBeNull();
      // A graceful stop still works (and its own log lines, unwritable, do not fail it).
      expect(await s.stop()).toEqual({ code: 0, signal: null });
    });

    it('stdout’s reader stalls, then resumes: the server keeps answering, drops and counts what the pipe would not take, says so once the reader is back, and then loses nothing', {
      timeout: 180_000,
    }, async () => {
      // A stall bound a reader that runs is never near, even on a loaded machine; the stopped one
      // passes it once per thread.
      const s = await startWarm({ stdio, env: { LOG_STALL_MS: '3000' } });

      s.out.stall();
      // Far more than the destination holds (a FIFO 64 KiB, a unix socket ~200–300 KiB, and the
      // thread's unwritten 64 KiB batch: ~600–1700 access lines): without a bound the HTTP thread
      // waits on the full pipe for as long as the reader sleeps, and these requests never end.
      const N = 3000;
      await traffic(s, 'stalled', N);
      await healthy(s);
      expect(await requestsCounted(s)).toBe(20 + N);

      s.out.resume();
      // The reader is back once a write gets through: the first is the notice of what was dropped.
      // (Until then each batch gets one try: one sent while the reader was still catching up may
      // be dropped too, and counted.)
      let probes = 0;
      await vi.waitFor(
        async () => {
          await traffic(s, 'probe', 1);
          probes++;
          expect(dropNotices(s).length).toBeGreaterThan(0);
        },
        { timeout: 60_000, interval: 100 },
      );
      const M = 100;
      await traffic(s, 'resumed', M);
      await vi.waitFor(() => expect(accessLines(s, 'resumed')).toHaveLength(M), {
        timeout: 30_000,
      });
      // Lines stay whole: a batch the full pipe took part of before the stall bound passed ends
      // mid-line, and the next write (any thread's) ends that line first (log-write.ts). So the
      // only lines that are not JSON are such cut access lines, each counted among the drops.
      const cut = s.json().filter((l) => 'text' in l);
      // (A cut can fall anywhere in a line, in its first bytes too: a prefix of an access line.)
      const head = '{"level":30,"time":';
      const access = (t: string) =>
        t.length > head.length ? /^\{"level":30,"time":\d+(,|$)/.test(t) : head.startsWith(t);
      for (const l of cut) expect(access(String(l.text))).toBe(true);
      const notices = dropNotices(s);
      expect(notices.every((n) => n.reason === 'stalled' && n.level === 40)).toBe(true);
      const dropped = notices.reduce((n, l) => n + (l.dropped as number), 0);
      expect(dropped).toBeGreaterThan(0);
      // The metric counts the same drops (the threads here are the main and HTTP threads; none
      // has dropped since its notice: the reader takes every write again).
      expect(await droppedCounted(s, 'stalled')).toBe(dropped);
      // Nothing lost silently: every access line since the stall either arrived or is counted.
      const arrived = accessLines(s, 'stalled').length + accessLines(s, 'probe').length;
      expect(arrived + dropped).toBe(N + probes);
      const all = s.out.lines();
      const firstResumed = all.findIndex((l) => l.includes('"reqId":"resumed-'));
      const lastNotice = all.findLastIndex((l) => l.includes('"scope":"log"'));
      expect(lastNotice).toBeLessThan(firstResumed);
      expect(s.child.exitCode).toBeNull();
      expect(await s.stop()).toEqual({ code: 0, signal: null });
    });
  });

  it('SIGTERM while stdout’s reader is stalled and its pipe full: every thread’s last lines are bounded too, and the process exits 0', {
    timeout: 180_000,
  }, async () => {
    const s = await startWarm({ env: { LOG_STALL_MS: '3000' } });
    s.out.stall();
    await traffic(s, 'stalled', 1500); // the pipe is full: the writer has dropped lines
    const exited = new Promise<unknown>((res) =>
      s.child.once('exit', (code, signal) => res({ code, signal })),
    );
    // The shutdown logs from the main thread ('shutting down', pino) and each thread flushes its
    // access lines at exit: with no bound on a full pipe the process would never end.
    s.child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('a reader that falls behind but keeps reading loses nothing: the writer waits for it (LOG_STALL_MS), it does not drop', {
    timeout: 180_000,
  }, async () => {
    // A stall bound no loaded machine reaches: the reader is slow here, never stalled.
    const s = await startWarm({ env: { LOG_STALL_MS: '120000' }, traceWrites: true });

    s.out.stall();
    const N = 1500;
    const behind = traffic(s, 'behind', N);
    // Writes to stdout keep failing with EAGAIN: the pipe is full and the writer retries it (1 ms
    // apart), i.e. the reader has fallen behind for real. (Under strace a retry takes longer:
    // the bound is in retries, not time.)
    await vi.waitFor(() => expect(s.failedWrites(1, 'EAGAIN').length).toBeGreaterThan(200), {
      timeout: 60_000,
      interval: 50,
    });
    s.out.resume();
    await behind;
    await vi.waitFor(() => expect(accessLines(s, 'behind')).toHaveLength(N), { timeout: 30_000 });
    expect(dropNotices(s)).toEqual([]);
    const ids = new Set(accessLines(s, 'behind').map((l) => l.reqId));
    expect(ids.size).toBe(N);
    expect(await s.stop()).toEqual({ code: 0, signal: null });
  });

  it('stdout and stderr both lose their readers: console calls and Node warnings from a thread (log lines, log-capture.ts) do not end the process', {
    timeout: 180_000,
  }, async () => {
    const s = await start({ env: { LOG_STALL_MS: '60000' }, cli: STDIO_CLI });
    const stdio = async (path: string) => {
      const res = await fetch(`${s.urls.stream}${path}`);
      return `${res.status} ${await res.text()}`;
    };
    expect(await stdio('/stdio/console')).toBe('200 written');
    // The routes' console calls and warning really are written (as log lines) while stdout has
    // a reader; nothing goes to stderr.
    expect(await stdio('/stdio/warn')).toBe('200 warned');
    const said = () =>
      s.out
        .lines()
        .filter((l) => l.includes('stdio fixture'))
        .map((l) => JSON.parse(l) as { scope: string; msg: string });
    await vi.waitFor(
      () => {
        expect(said()).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ scope: 'console', msg: 'stdio fixture: console.log 1' }),
            expect.objectContaining({ scope: 'console', msg: 'stdio fixture: console.error 1' }),
            expect.objectContaining({ scope: 'node', msg: 'stdio fixture: warning 2' }),
          ]),
        );
      },
      { timeout: 30_000 },
    );
    expect(s.err.lines()).toEqual([]);

    await s.err.kill();
    await s.out.kill();
    const N = 300;
    await traffic(s, 'dead', N);
    for (let i = 0; i < 5; i++) {
      expect(await stdio('/stdio/console')).toBe('200 written');
      expect(await stdio('/stdio/warn')).toBe('200 warned');
      await traffic(s, `dead${i}`, 30);
    }
    await healthy(s);
    await vi.waitFor(async () => expect(await requestsCounted(s)).toBe(N + 150), {
      timeout: 30_000,
    });
    expect(s.child.exitCode).toBeNull();
    expect(s.child.signalCode).toBeNull();
    expect(await s.stop()).toEqual({ code: 0, signal: null });
  });
});
