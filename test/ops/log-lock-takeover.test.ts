/**
 * The log write lock's take-over (src/log-lock.ts `lockFd`, bound `stealMs` in log-write.ts): a
 * holder whose starting thread died with it is released by no one, so the next writer waits the
 * take-over bound, takes the lock over, and says so in a warn line.
 *
 * How a lock gets lost that way, through real threads: the main thread starts a middle thread
 * (a scheduler's actor thread), which starts a grandchild (one of its pool's threads). The
 * grandchild writes a line far larger than the FIFO while its reader (`cat`) is stopped, so it
 * holds the lock inside its write (its LOG_STALL_MS, passed through the Worker's `env`, is ten
 * minutes: it cannot give up first). Then the main thread terminates the middle thread: Node
 * terminates the middle thread's workers with it, and the release that log-lock.ts registers on
 * the grandchild's 'exit' belongs to the middle thread, which runs no more JavaScript. The main
 * thread's LOG_STALL_MS (600 ms) puts its take-over bound at its floor, 10 s.
 *
 * Hand-offs, none timed: the grandchild posts its threadId, then writes; the main thread waits
 * until the fd's lock word (shared memory, handed down as environment data) names it and the fd
 * is left mid-line (its first 64 KiB are in the FIFO), so it holds the lock inside its write when
 * the middle thread dies; the main thread says the middle thread has ended with a
 * file; the test resumes the reader and waits until it has read (it drains the FIFO in one read),
 * then tells the main thread to write.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { exitOf, fifoWithCat, parseLines, startWriter } from './fifo-reader.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The main thread, a middle thread it terminates, and the grandchild that holds the lock. The
 *  main thread reads fd 1's lock word and "left mid-line" flag with log-lock.ts's layout (the
 *  memory under its key starts with a 64-bit word per fd, the holder's threadId + 1 in its low 32
 *  bits, then a 32-bit flag per fd): a change there makes this test wait in vain, so it fails,
 *  never passes. */
const KILLED_STARTER = `
  import '${ROOT}src/log.ts'; // the main thread makes fd 1 non-blocking, as the server does
  import { once } from 'node:events';
  import { writeFileSync } from 'node:fs';
  import { createInterface } from 'node:readline';
  import { setTimeout as sleep } from 'node:timers/promises';
  import { getEnvironmentData, isMainThread, parentPort, threadId, Worker, workerData } from 'node:worker_threads';
  import { writeLines } from '${ROOT}src/log-write.ts';
  import { workerFile } from '${ROOT}src/worker-file.ts';
  const line = (o) => Buffer.from(JSON.stringify(o) + '\\n');
  const start = (role, env) => {
    const f = workerFile(import.meta.url, './writer');
    return new Worker(f.url, { execArgv: f.execArgv, workerData: role, env });
  };
  if (isMainThread) {
    const middle = start('middle');
    const [holder] = await once(middle, 'message');
    const memory = getEnvironmentData('video-server:log-lock');
    const lock = new BigInt64Array(memory, 0, 8);
    const open = new Int32Array(memory, 8 * 8, 8);
    // It holds the lock and its first write is in the FIFO (the line left open): holding the lock
    // alone, it may not have written yet, and a FIFO left empty gives the reader nothing.
    while (BigInt.asUintN(32, Atomics.load(lock, 1)) !== BigInt(holder + 1) || Atomics.load(open, 1) !== 1) {
      await sleep(10);
    }
    const exited = once(middle, 'exit');
    await middle.terminate();
    await exited;
    writeFileSync(new URL('./ended', import.meta.url), String(holder));
    for await (const _ of createInterface({ input: process.stdin })) break; // the reader runs
    writeLines(1, line({ t: 0, after: true }));
    process.exit(0);
  } else if (workerData === 'middle') {
    const grandchild = start('grandchild', { ...process.env, LOG_STALL_MS: '600000' });
    const [id] = await once(grandchild, 'message');
    parentPort.postMessage(id);
  } else {
    parentPort.postMessage(threadId);
    writeLines(1, line({ t: threadId, big: 'y'.repeat(1_000_000) }));
  }
`;

it('a lock holder whose starting thread died with it: the next writer takes the lock over after the bound, says so, and its line arrives whole', {
  timeout: 180_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-log-takeover-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const { out, signal, catExited } = fifoWithCat(dir, cleanups);
  signal('SIGSTOP'); // the FIFO takes 64 KiB of the grandchild's line, then refuses (EAGAIN)
  const writer = await startWriter(dir, KILLED_STARTER, out, { LOG_STALL_MS: '600' }, cleanups);
  let err = '';
  writer.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const ended = join(dir, 'ended');
  await vi.waitFor(() => expect(existsSync(ended)).toBe(true), { timeout: 90_000, interval: 50 });
  const holder = Number(readFileSync(ended, 'utf8'));
  signal('SIGCONT');
  const log = join(dir, 'out.log');
  await vi.waitFor(() => expect(statSync(log).size).toBeGreaterThan(0), {
    timeout: 30_000,
    interval: 20,
  });
  writer.stdin!.end('write\n');
  // The take-over bound is 10 s; a writer that never takes the lock over hangs here.
  const done = () => writer.exitCode ?? writer.signalCode;
  await vi.waitFor(() => expect(done(), 'the writer took the lock and ended').not.toBeNull(), {
    timeout: 90_000,
    interval: 100,
  });
  await exitOf(writer);
  expect({ code: writer.exitCode, err }).toEqual({ code: 0, err: '' });
  await catExited;

  const lines = parseLines(readFileSync(log, 'utf8'));
  // The grandchild's cut line (ended by the main thread's write), the take-over notice naming the
  // grandchild, then the main thread's line whole.
  expect(lines).toHaveLength(3);
  expect(String(lines[0]!.text)).toMatch(new RegExp(`^\\{"t":${holder},"big":"yyy`));
  expect(lines[1]).toMatchObject({
    level: 40,
    scope: 'log',
    thread: 0,
    holder,
    msg: `log write lock taken over: thread ${holder} held it for 10000 ms`,
  });
  expect(lines[2]).toEqual({ t: 0, after: true });
});
