/**
 * LOG_FORMAT=pretty takes the same write path as JSON (src/log.ts → src/log-write.ts): pino-pretty
 * only formats. Through the real server and real pipes (test/ops/pretty-log.ts):
 * - a stdout reader that stops (a paused pager) does not hold the server: requests keep being
 *   answered, the lost lines are counted in log_lines_dropped_total and, once the reader is back,
 *   noticed in a pretty warn record; the output stays pretty text throughout (not JSON);
 * - the same for the scheduler's threads: its pool threads' records (test/fixtures/ops/
 *   pool-logging.task.ts) are dropped and counted, and their tasks finish.
 * (Before, pino-pretty wrote fd 1 itself through SonicBoom, which retries a full pipe forever:
 * the first test's requests hung, the second's tasks never finished.) Records of several threads
 * and colours on a terminal: log-pretty-threads.test.ts.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { deleteVideos, POOL_CLI, POOL_TOKEN } from './pool-deletions.js';
import { type PrettyServer, parseRecords, startPrettyServer } from './pretty-log.js';
import { scrape, total } from './prom.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const PORTS = ['stream', 'api', 'web'] as const;

/** `n` requests for missing paths (one access record each), 16 at a time; each must be
 *  answered within a generous bound (a server held by its log would answer none). */
async function traffic(s: PrettyServer, tag: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 16) {
    const statuses = await Promise.all(
      Array.from({ length: Math.min(16, n - i) }, async (_, j) => {
        const res = await fetch(`${s.urls[PORTS[(i + j) % 3]!]}/missing`, {
          headers: { 'x-request-id': `${tag}-${i + j}` },
          signal: AbortSignal.timeout(60_000),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.every((x) => x === 404)).toBe(true);
  }
}

/** The access records of `tag`'s requests that the reader passed on. */
function accessRecords(s: PrettyServer, tag: string) {
  return parseRecords(s.text()).records.filter(
    (r) => r.msg === 'request' && r.fields.reqId?.startsWith(`"${tag}`),
  );
}

/** The records saying how many lines a thread dropped (src/log-write.ts's notice). */
function notices(s: PrettyServer) {
  return parseRecords(s.text()).records.filter((r) => r.fields.dropped !== undefined);
}

describe('LOG_FORMAT=pretty', () => {
  it('a stdout reader that stops does not hold the server: requests are answered, drops counted and noticed, the output stays pretty', {
    timeout: 240_000,
  }, async () => {
    const s = await startPrettyServer(
      { env: { HTTP_THREADS: '2', LOG_STALL_MS: '200' } },
      cleanups,
    );
    await traffic(s, 'warm', 12);
    await vi.waitFor(() => expect(accessRecords(s, 'warm')).toHaveLength(12), {
      timeout: 30_000,
    });

    s.signal('SIGSTOP');
    // ~250 bytes per access record: 1500 of them are several times a pipe's 64 KiB.
    await traffic(s, 'stalled', 1500);
    // Every request was answered; the lines the stopped reader could not take were counted.
    await vi.waitFor(
      async () => {
        const dropped = total(await scrape(s.metrics), 'log_lines_dropped_total', {
          reason: 'stalled',
        });
        expect(dropped).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 200 },
    );
    for (const p of PORTS) {
      const res = await fetch(`${s.urls[p]}/health/live`, { signal: AbortSignal.timeout(60_000) });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
    }

    s.signal('SIGCONT');
    // The first lines after the resume may still find the pipe full (cat not yet scheduled):
    // they are dropped and counted too. Requests until the reader passes some on, and with them
    // a notice of what was lost.
    let round = 0;
    await vi.waitFor(
      async () => {
        await traffic(s, `after${round++}`, 6);
        expect(accessRecords(s, 'after').length).toBeGreaterThan(0);
        expect(notices(s).length).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 200 },
    );
    const { records, stray } = parseRecords(s.text());
    // Pretty text throughout: every line is a record's header or one of its fields (no JSON).
    expect(stray).toEqual([]);
    expect(records.length).toBeGreaterThan(12);
    const after = accessRecords(s, 'after')[0]!;
    expect(after.level).toBe('INFO');
    expect(after.fields.status).toBe('404');
    expect(after.fields.route).toBeDefined();
    // Each thread that dropped says so, in a pretty warn record, before its next lines.
    for (const n of notices(s)) {
      expect(n.level).toBe('WARN');
      expect(n.msg).toBe('log lines dropped: the log destination did not take them');
      expect(n.fields.reason).toBe('"stalled"');
    }
    const noticed = notices(s).reduce((sum, n) => sum + Number(n.fields.dropped), 0);
    expect(noticed).toBeGreaterThan(0);
    const counted = total(await scrape(s.metrics), 'log_lines_dropped_total', {
      reason: 'stalled',
    });
    expect(noticed).toBeLessThanOrEqual(counted);
  });

  it('the scheduler’s actor and pool threads take the same path: a stopped reader holds no task, and their drops are counted', {
    timeout: 240_000,
  }, async () => {
    const LINES = 400;
    const VIDEOS = 6;
    const s = await startPrettyServer(
      {
        cli: POOL_CLI,
        only: 'scheduler',
        env: {
          SCHEDULER_TOKEN: POOL_TOKEN,
          SCHEDULER_INTERVAL_MS: '200',
          VS_TEST_POOL_LINES: String(LINES),
          LOG_STALL_MS: '200',
        },
      },
      cleanups,
    );
    s.signal('SIGSTOP');
    // A pool thread held by the log would never finish its task.
    await deleteVideos(s.urls.scheduler!, s.metrics, VIDEOS);
    // A pool record is five lines (its header; thread, scope, video, i); the pipe held at most
    // 64 KiB of them (~500 records) before the reader stopped. The other threads wrote a few
    // dozen lines: only the pool threads' drops make the count reach this.
    expect(
      total(await scrape(s.metrics), 'log_lines_dropped_total', { reason: 'stalled' }),
    ).toBeGreaterThanOrEqual(VIDEOS * LINES);
  });
});
