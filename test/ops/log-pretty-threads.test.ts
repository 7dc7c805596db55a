/**
 * LOG_FORMAT=pretty from several threads of one process (src/log-pretty.ts: each thread's pino
 * writes pino-pretty's text through src/log-write.ts):
 * - records stay whole on a pipe that takes a little at a time: each is written under the fd's
 *   lock (before, pino-pretty wrote fd 1 itself, outside it, and a record longer than a pipe's
 *   atomic 4 KiB was cut by other threads' writes);
 * - on a terminal (a pseudo-terminal from util-linux's `script`) every thread's records are
 *   coloured: log.ts asks fd 1 (isatty), not process.stdout, which in a worker is a pipe to the
 *   main thread (before, worker threads' records were never coloured);
 * - a terminal that stops taking output (XOFF typed on it, as Ctrl-S does) holds no thread: Node
 *   keeps a terminal's fd 1 blocking, so src/log-pretty.ts writes to a non-blocking descriptor of
 *   the same terminal (before, every thread's write(2) waited until XON).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { exitOf, slowReader, startWriter } from './fifo-reader.js';
import { parseRecords } from './pretty-log.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('LOG_FORMAT=pretty from several threads', () => {
  it('records from several threads stay whole on a pipe that takes a little at a time', {
    timeout: 240_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vs-pretty-threads-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // The reader takes 1 KiB per read and pauses 2 ms: a record of ~6 KiB fills the pipe's last
    // pages in several writes, between which another thread's write could land.
    const { fd, reader } = slowReader(dir, 1024, 2, cleanups);
    let text = '';
    reader.stdout!.setEncoding('utf8').on('data', (d: string) => {
      text += d;
    });
    // All it passed on: its stdout closes after the writer is gone and the pipe drained.
    const read = new Promise<void>((res) => reader.stdout!.once('close', res));
    const writer = await startWriter(
      dir,
      WRITER,
      fd,
      { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty', LOG_STALL_MS: '60000' },
      cleanups,
    );
    let err = '';
    writer.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    await exitOf(writer);
    expect(err).toBe('');
    expect(writer.exitCode).toBe(0);
    await read;

    const { records, stray } = parseRecords(text);
    expect(stray).toEqual([]);
    const ours = records.filter((r) => r.msg === 'thread record');
    // Nothing is dropped (the reader keeps reading, within a minute's stall bound): every
    // thread's every record, each with all its fields, each field whole.
    expect(ours).toHaveLength(THREADS * RECORDS);
    const seen = new Set<string>();
    for (const r of ours) {
      expect(Object.keys(r.fields).sort()).toEqual(['at', 'pad', 'scope', 'thread']);
      expect(r.fields.pad).toBe(`"${PAD}"`);
      const at = JSON.parse(r.fields.at!) as { thread: number; i: number };
      expect(String(at.thread)).toBe(r.fields.thread);
      seen.add(`${at.thread}:${at.i}`);
    }
    expect(seen.size).toBe(THREADS * RECORDS);
  });

  it('on a terminal every thread’s records are coloured, worker threads’ too', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vs-pretty-tty-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    await writeFile(join(dir, 'writer.ts'), TTY_WRITER);
    // util-linux's `script` runs the writer with a pseudo-terminal as its stdout (and copies
    // what it printed to ours; -e: with the writer's exit code).
    const command = `${process.execPath} --import tsx ${join(dir, 'writer.ts')}`;
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' },
      timeout: 60_000,
    });
    const headers = stdout.split(/\r?\n/).filter((l) => l.includes('tty record'));
    expect(headers).toHaveLength(2); // the main thread's and the worker's
    // pino-pretty colours the level label: green for info.
    for (const h of headers) expect(h).toContain('\u001b[32mINFO\u001b[39m');
  });

  it('a terminal that stops taking output (Ctrl-S) holds no thread: each drops and counts, and the process finishes', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vs-pretty-xoff-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    await writeFile(join(dir, 'writer.ts'), XOFF_WRITER);
    const result = join(dir, 'result.json');
    const command = `${process.execPath} --import tsx ${join(dir, 'writer.ts')}`;
    const term = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'pretty',
        LOG_STALL_MS: '200',
        RESULT: result,
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    cleanups.push(async () => {
      term.kill('SIGKILL');
      await exitOf(term);
    });
    term.stdout!.resume(); // what the terminal shows: not needed
    // Typed on the terminal: XOFF (Ctrl-S) stops its output until XON (Ctrl-Q).
    term.stdin!.write('\x13');
    // Each thread logged until one of its records was dropped, then the process reported.
    await vi.waitFor(() => expect(existsSync(result)).toBe(true), {
      timeout: 60_000,
      interval: 100,
    });
    const dropped = JSON.parse(readFileSync(result, 'utf8')) as Record<string, number>;
    expect(dropped.main).toBeGreaterThan(0);
    expect(dropped.worker).toBeGreaterThan(0);
    term.stdin!.end('\x11');
    await exitOf(term);
    expect(term.exitCode).toBe(0);
  });
});

/**
 * The main thread, then a worker, each log records on a terminal until one of its own records is
 * dropped as stalled (at most 200 000: then none was); the process writes how many lines each
 * thread's records added to the process's stalled drops.
 */
const XOFF_WRITER = `
  import { once } from 'node:events';
  import { writeFileSync } from 'node:fs';
  import { isMainThread, parentPort, Worker } from 'node:worker_threads';
  import { createLogger } from '${ROOT}src/log.ts';
  import { droppedLines } from '${ROOT}src/log-write.ts';
  import { workerFile } from '${ROOT}src/worker-file.ts';
  const log = createLogger('fixture.xoff');
  const stalled = () => droppedLines().get('stalled') ?? 0;
  const before = stalled();
  let i = 0;
  while (i < 200_000 && stalled() === before) log.info('xoff record', { i: i++ });
  const gained = stalled() - before;
  if (isMainThread) {
    const f = workerFile(import.meta.url, './writer');
    const worker = new Worker(f.url, { execArgv: f.execArgv });
    const [inWorker] = await once(worker, 'message');
    writeFileSync(process.env.RESULT, JSON.stringify({ main: gained, worker: inWorker }));
  } else {
    parentPort.postMessage(gained);
  }
`;

/** The main thread and one worker each log one record, with fd 1 a terminal. */
const TTY_WRITER = `
  import { once } from 'node:events';
  import { isMainThread, Worker } from 'node:worker_threads';
  import { createLogger } from '${ROOT}src/log.ts';
  import { workerFile } from '${ROOT}src/worker-file.ts';
  createLogger('fixture.tty').info('tty record');
  if (isMainThread) {
    const f = workerFile(import.meta.url, './writer');
    await once(new Worker(f.url, { execArgv: f.execArgv }), 'exit');
  }
`;

const THREADS = 4; // the main thread and three workers
const RECORDS = 40;
const PAD = 'p'.repeat(6000);

/** Each thread (the main one too) logs RECORDS pretty records of ~6 KiB, as fast as it can. */
const WRITER = `
  import { once } from 'node:events';
  import { isMainThread, threadId, Worker } from 'node:worker_threads';
  import { createLogger } from '${ROOT}src/log.ts';
  import { workerFile } from '${ROOT}src/worker-file.ts';
  const log = createLogger('fixture.pretty');
  const write = () => {
    for (let i = 0; i < ${RECORDS}; i++)
      log.info('thread record', { at: { thread: threadId, i }, pad: '${PAD}' });
  };
  if (isMainThread) {
    const f = workerFile(import.meta.url, './writer');
    const workers = Array.from({ length: ${THREADS - 1} }, () => new Worker(f.url, { execArgv: f.execArgv }));
    await Promise.all(workers.map((w) => once(w, 'online')));
    write();
    await Promise.all(workers.map((w) => once(w, 'exit')));
  } else {
    write();
  }
`;
