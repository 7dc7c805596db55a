/**
 * Access lines are made and written in batches (src/http/common/access-log.ts, src/log-buffer.ts).
 * A process or worker thread that ends right after its last request must still write every line
 * once: each is drained at exit. Real processes, stdout a pipe, the public writer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Writes `n` access lines through the writer, then ends the way `end` says. */
function script(n: number, end: string): string {
  return `
    import { accessLogWriter } from '${ROOT}src/http/common/access-log.ts';
    import { createLogger } from '${ROOT}src/log.ts';
    const run = () => {
      const write = accessLogWriter('stream', '/videos/:vid', createLogger('access', undefined, { buffered: true }));
      for (let i = 0; i < ${n}; i++) {
        write({ reqId: 'exit-' + i, reqNo: -1, method: 'get', status: i === 7 ? 499 : 404, bytes: 21, user: i % 2 ? 'u-' + i : undefined, start: 0, end: 1.25 });
      }
      ${end}
    };
    run();
  `;
}

async function lines(code: string, inWorker = false): Promise<Record<string, unknown>[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vs-access-exit-'));
  try {
    // ESM like the project (a .ts file outside it would be taken for CommonJS).
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    const worker = join(dir, 'worker.ts');
    await writeFile(worker, code);
    const main = join(dir, 'main.mts');
    await writeFile(
      main,
      inWorker
        ? `import { Worker } from 'node:worker_threads';
           import { workerFile } from '${ROOT}src/worker-file.ts';
           const entry = workerFile(import.meta.url, './worker');
           new Worker(entry.url, { execArgv: entry.execArgv });`
        : code,
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', main], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return parse(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parse(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.scope === 'access');
}

function expectAll(got: Record<string, unknown>[], n: number): void {
  expect(got.map((l) => l.reqId)).toEqual(Array.from({ length: n }, (_, i) => `exit-${i}`));
  expect(got[7]).toMatchObject({ status: 499, aborted: true, user: 'u-7' });
  expect(got[8]).toMatchObject({ status: 404, user: null, method: 'GET', ms: 1.25, bytes: 21 });
  expect(got[8]).not.toHaveProperty('aborted');
}

describe('access lines at exit', () => {
  it('process.exit right after the last request: every line, once, in order', async () => {
    expectAll(await lines(script(1000, 'process.exit(0);')), 1000);
  });

  it('a process that just ends (its timers are unref’d)', async () => {
    expectAll(await lines(script(300, '')), 300);
  });

  it('a worker thread that ends right after its last request', async () => {
    expectAll(await lines(script(300, 'process.exit(0);'), true), 300);
  });

  it('lines of any text and size stay whole JSON: escaped and multi-byte users, a user id longer than a batch, generated ids, pino lines between them', async () => {
    const code = `
      import { accessLogWriter } from '${ROOT}src/http/common/access-log.ts';
      import { generatedId, requestNumber } from '${ROOT}src/http/common/request-id.ts';
      import { createLogger } from '${ROOT}src/log.ts';
      const other = createLogger('other', undefined, { buffered: true });
      const write = accessLogWriter('stream', '/videos/:vid', createLogger('access', undefined, { buffered: true }));
      const users = ['plain', 'q"uote\\\\back', 'grüße-用户-🎬', 'x'.repeat(10_000), undefined];
      for (let i = 0; i < 5000; i++) {
        const reqNo = requestNumber('');
        write({ reqId: generatedId(reqNo), reqNo, method: i % 3 ? 'get' : 'head', status: i % 5 ? 404 : 206, bytes: i * 1_000_003, user: users[i % users.length], start: 0, end: i / 100 });
        if (i % 1000 === 0) other.info('between', { i });
        if (i === 2500) other.info('longer than a batch', { blob: 'y'.repeat(9000) });
      }
      process.exit(0);`;
    const all = await lines(code);
    expect(all).toHaveLength(5000);
    const users = ['plain', 'q"uote\\back', 'grüße-用户-🎬', 'x'.repeat(10_000), null];
    const first = Number.parseInt(String(all[0]!.reqId).slice(24), 16);
    all.forEach((l, i) => {
      expect(l).toMatchObject({
        user: users[i % users.length],
        method: i % 3 ? 'GET' : 'HEAD',
        status: i % 5 ? 404 : 206,
        bytes: i * 1_000_003,
        ms: i / 100,
        route: '/videos/:vid',
        service: 'stream',
      });
      // Consecutive numbers across 4096-id steps, each spelled as the id's string would be.
      expect(Number.parseInt(String(l.reqId).slice(24), 16)).toBe(first + i);
      expect(String(l.reqId).slice(0, 24)).toBe(String(all[0]!.reqId).slice(0, 24));
    });
  });

  it('a flood of one kind across milliseconds, ids, sizes and durations of changing length: every line says its own fields', async () => {
    // Lines of one kind patch the kind's last line in place (access-log.ts, Shape): the time once
    // per millisecond, the id, bytes and duration, each field sometimes changing length.
    const code = `
      import { performance } from 'node:perf_hooks';
      import { accessLogWriter } from '${ROOT}src/http/common/access-log.ts';
      import { createLogger } from '${ROOT}src/log.ts';
      const write = accessLogWriter('stream', '/videos/:vid', createLogger('access', undefined, { buffered: true }));
      const wall = [];
      const ends = [];
      for (let i = 0; i < 20000; i++) {
        const end = performance.now();
        wall.push(Date.now());
        ends.push(end);
        const bytes = i % 500 < 250 ? 20 + (i % 7) : i % 500 < 400 ? 4096 + (i % 3) : 7 * 2 ** 31 + i;
        const centis = i % 300 < 200 ? 1 + (i % 5) : i % 300 < 290 ? 1234 + (i % 9) : 99999 - (i % 4);
        write({ reqId: 'id-' + (i % 1500 < 1000 ? i : 'x'.repeat(i % 97)), reqNo: -1, method: 'get',
          status: i % 11 === 5 ? 499 : 404, bytes, user: i % 13 === 3 ? 'u' + i : undefined,
          start: end - centis / 100, end });
      }
      // The wall clock at each request's end: end + the clock's offset from performance.now(). A
      // Date.now() read after end is late by however long this thread was held between the two
      // reads (a GC pause or a preemption: 3–22 ms seen under load, on single lines), so the
      // offset is the smallest over the flood (each read is at most 1 ms early: Date.now()
      // truncates; no later than the least-held read).
      let offset = Number.POSITIVE_INFINITY;
      for (let i = 0; i < wall.length; i++) offset = Math.min(offset, wall[i] - ends[i]);
      process.stderr.write(JSON.stringify(ends.map((end) => Math.round(offset + end))));
      process.exit(0);`;
    const dir = await mkdtemp(join(tmpdir(), 'vs-access-flood-'));
    try {
      await writeFile(join(dir, 'package.json'), '{"type":"module"}');
      const main = join(dir, 'main.mts');
      await writeFile(main, code);
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', main], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
        maxBuffer: 64 * 1024 * 1024,
      });
      const wall = JSON.parse(stderr) as number[];
      const all = parse(stdout);
      expect(all).toHaveLength(20000);
      expect(new Set(wall).size).toBeGreaterThan(1); // the flood spans milliseconds
      all.forEach((l, i) => {
        const want: Record<string, unknown> = {
          reqId: `id-${i % 1500 < 1000 ? i : 'x'.repeat(i % 97)}`,
          status: i % 11 === 5 ? 499 : 404,
          bytes: i % 500 < 250 ? 20 + (i % 7) : i % 500 < 400 ? 4096 + (i % 3) : 7 * 2 ** 31 + i,
          ms:
            (i % 300 < 200 ? 1 + (i % 5) : i % 300 < 290 ? 1234 + (i % 9) : 99999 - (i % 4)) / 100,
          user: i % 13 === 3 ? `u${i}` : null,
          method: 'GET',
        };
        if (i % 11 === 5) want.aborted = true;
        expect(l).toMatchObject(want);
        if (i % 11 !== 5) expect(l).not.toHaveProperty('aborted');
        // The wall clock at the request's end (the writer reads it per batch): within a
        // millisecond or two.
        expect(Math.abs((l.time as number) - wall[i]!)).toBeLessThanOrEqual(2);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a batch whose write failed (stdout closed) is counted, not thrown, and the writer is whole once stdout works again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vs-access-broken-'));
    try {
      await writeFile(join(dir, 'package.json'), '{"type":"module"}');
      const out = join(dir, 'out.log');
      const main = join(dir, 'main.mts');
      // fd 1 closed under the buffer, 1000 requests (more than a 64 KiB batch: one drains and its
      // write fails, EBADF), then fd 1 reopened on a file (the lowest free descriptor) and 300
      // more requests.
      await writeFile(
        main,
        `import { closeSync, openSync } from 'node:fs';
         import { accessLogWriter } from '${ROOT}src/http/common/access-log.ts';
         import { createLogger } from '${ROOT}src/log.ts';
         const write = accessLogWriter('stream', '/videos/:vid', createLogger('access', undefined, { buffered: true }));
         closeSync(1);
         let failed = 0;
         for (let i = 0; i < 1000; i++) {
           try { write({ reqId: 'lost-' + i, reqNo: -1, method: 'get', status: 404, bytes: 21, user: undefined, start: 0, end: 1 }); }
           catch { failed++; }
         }
         if (openSync(${JSON.stringify(out)}, 'w') !== 1) throw new Error('fd 1 not reused');
         for (let i = 0; i < 300; i++) {
           write({ reqId: 'exit-' + i, reqNo: -1, method: 'get', status: i === 7 ? 499 : 404, bytes: 21, user: i % 2 ? 'u-' + i : undefined, start: 0, end: 1.25 });
         }
         process.stderr.write('failed=' + failed);
         process.exit(0);`,
      );
      const { stderr } = await run(process.execPath, ['--import', 'tsx', main], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      });
      // A broken stdout never throws into the writer (src/log-write.ts): the batches it refused
      // are counted, and the first write it takes again says how many lines were dropped.
      expect(stderr).toBe('failed=0');
      const text = await readFile(out, 'utf8');
      const notice = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
      expect(notice).toMatchObject({ level: 40, scope: 'log', reason: 'EBADF' });
      const got = parse(text); // every line whole JSON
      const kept = got.filter((l) => String(l.reqId).startsWith('lost-')).length;
      expect(notice.dropped).toBeGreaterThan(0);
      expect((notice.dropped as number) + kept).toBe(1000);
      expectAll(
        got.filter((l) => String(l.reqId).startsWith('exit-')),
        300,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
