/**
 * Log batches larger than PIPE_BUF on a real pipe (a FIFO, what docker and containerd hand a
 * container) from several threads at once: src/log-lock.ts's process-wide lock keeps every line
 * whole. The reader is `cat`, stopped and resumed over and over while the threads write, so the
 * pipe fills and 64 KiB writes are cut short (EAGAIN) mid-line: without the lock, another thread's
 * line lands inside the cut one.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { BATCH } from '../../src/log-buffer.js';
import { fifoWithCat, parseLines } from './fifo-reader.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const WORKERS = 3;
const LINES = 20_000;

/** The main thread writes single lines (pino's path) while the workers fill access-log batches. */
const WRITER = `
  import '${ROOT}src/log.ts'; // the main thread makes fd 1 non-blocking, as the server does
  import { once } from 'node:events';
  import { isMainThread, threadId, Worker } from 'node:worker_threads';
  import { LineBuffer } from '${ROOT}src/log-buffer.ts';
  import { writeLines } from '${ROOT}src/log-write.ts';
  import { workerFile } from '${ROOT}src/worker-file.ts';
  const line = (o) => JSON.stringify(o) + '\\n';
  if (isMainThread) {
    writeLines(1, Buffer.from(line({ t: 0, max: new LineBuffer(1).max })));
    const workers = Array.from({ length: ${WORKERS} }, () => {
      const f = workerFile(import.meta.url, './writer');
      return new Worker(f.url, { execArgv: f.execArgv });
    });
    let i = 0;
    const timer = setInterval(() => {
      writeLines(1, Buffer.from(line({ t: 0, i: i++, pad: 'm'.repeat((i * 53) % 900) })));
    }, 1);
    await Promise.all(workers.map((w) => once(w, 'exit')));
    clearInterval(timer);
    writeLines(1, Buffer.from(line({ t: 0, done: i })));
  } else {
    const b = new LineBuffer(1);
    for (let i = 0; i < ${LINES}; i++) b.write(line({ t: threadId, i, pad: 'x'.repeat((i * 37) % 700) }));
    b.flush();
  }
`;

/** A temporary directory for one test's writer script, removed after the file's tests. */
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs `source` (written to `dir`/writer.ts) with stdout `out` (the FIFO's write end) and no stall bound in
 * reach (the reader only pauses: nothing may be dropped); resolves to its exit and stderr once both are known ('close').
 */
async function startWriter(
  dir: string,
  source: string,
  out: number | 'pipe',
  stdin: 'ignore' | 'pipe',
) {
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  await writeFile(join(dir, 'writer.ts'), source);
  const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'writer.ts')], {
    cwd: ROOT,
    env: { ...process.env, LOG_STALL_MS: '600000' },
    stdio: [stdin, out, 'pipe'],
  });
  if (out !== 'pipe') closeSync(out);
  child.stdout?.resume();
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<{ result: [number | null, NodeJS.Signals | null]; err: string }>(
    (res) => child.once('close', (code, sig) => res({ result: [code, sig], err })),
  );
  return { child, exited };
}

it('several threads write 64 KiB batches to a FIFO whose reader keeps stopping: every line arrives whole, each thread’s in order', {
  timeout: 180_000,
}, async () => {
  const dir = await tempDir('vs-pipe-batches-');
  const { out, signal, catExited } = fifoWithCat(dir, cleanups);
  const { exited } = await startWriter(dir, WRITER, out, 'ignore');

  // Stop and resume the reader until the writer is done: the pipe fills again and again.
  let writing = true;
  const toggling = (async () => {
    while (writing) {
      signal('SIGSTOP');
      await new Promise((r) => setTimeout(r, 20));
      signal('SIGCONT');
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const outcome = await exited;
  writing = false;
  await toggling;
  signal('SIGCONT');
  expect(outcome).toEqual({ result: [0, null], err: '' });
  await catExited; // the writer's end closed: cat drains the FIFO and exits

  const text = readFileSync(join(dir, 'out.log'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const parsed = parseLines(text) as { t: number; i?: number; max?: number; text?: string }[];
  expect(parsed.filter((l) => l.text !== undefined)).toEqual([]);
  // The batches really were larger than a pipe keeps atomic.
  expect(parsed[0]).toEqual({ t: 0, max: BATCH });
  expect(BATCH).toBeGreaterThan(4096);
  const byThread = new Map<number, number[]>();
  for (const p of parsed) {
    if (p.i === undefined) continue;
    const seq = byThread.get(p.t) ?? [];
    if (seq.length === 0) byThread.set(p.t, seq);
    seq.push(p.i);
  }
  const done = parsed.at(-1) as { t: number; done?: number };
  expect(done.done).toBeGreaterThan(0);
  expect(byThread.get(0)).toEqual(Array.from({ length: done.done! }, (_, i) => i));
  byThread.delete(0);
  expect(byThread.size).toBe(WORKERS);
  for (const seq of byThread.values()) {
    expect(seq).toEqual(Array.from({ length: LINES }, (_, i) => i));
  }
});

/** A worker writes a line far larger than the pipe while its reader is stopped, and is ended
 *  mid-write; then the main thread writes. */
const KILLED = `
  import '${ROOT}src/log.ts';
  import { once } from 'node:events';
  import { writeFileSync } from 'node:fs';
  import { createInterface } from 'node:readline';
  import { isMainThread, parentPort, threadId, Worker } from 'node:worker_threads';
  import { writeLines } from '${ROOT}src/log-write.ts';
  import { workerFile } from '${ROOT}src/worker-file.ts';
  const line = (o) => Buffer.from(JSON.stringify(o) + '\\n');
  if (isMainThread) {
    const f = workerFile(import.meta.url, './writer');
    const worker = new Worker(f.url, { execArgv: f.execArgv });
    for await (const _ of createInterface({ input: process.stdin })) break;
    const exited = once(worker, 'exit');
    await worker.terminate();
    await exited;
    writeFileSync(new URL('./ended', import.meta.url), ''); // the test resumes the reader now
    writeLines(1, line({ t: 0, after: true }));
    process.exit(0);
  } else {
    writeLines(1, line({ t: threadId, big: 'y'.repeat(1_000_000) }));
  }
`;

it('a thread ended while its write waits on a full pipe: the lock is released at once (no take-over), its cut line is ended, the next thread’s line is whole', {
  timeout: 120_000,
}, async () => {
  const dir = await tempDir('vs-pipe-killed-');
  const { out, signal, catExited } = fifoWithCat(dir, cleanups);
  signal('SIGSTOP'); // the pipe takes 64 KiB of the worker's line, then EAGAIN
  const { child, exited } = await startWriter(dir, KILLED, out, 'pipe');
  // The pipe is full (its 64 KiB written): the worker waits inside its write, holding the lock.
  const written = () =>
    Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${child.pid}/io`, 'utf8'))![1]);
  await vi.waitFor(() => expect(written()).toBeGreaterThanOrEqual(65_536), {
    timeout: 60_000,
    interval: 50,
  });
  child.stdin!.end('end the worker\n');
  // Only once the worker has ended: a reader resumed before would let it finish its line.
  await vi.waitFor(() => expect(existsSync(join(dir, 'ended'))).toBe(true), {
    timeout: 60_000,
    interval: 50,
  });
  signal('SIGCONT');
  expect(await exited).toEqual({ result: [0, null], err: '' });
  await catExited;

  const lines = parseLines(readFileSync(join(dir, 'out.log'), 'utf8'));
  // The worker's cut line (ended by the main thread's write), then the main thread's line whole;
  // no take-over notice: the lock was free as soon as the worker had ended.
  expect(lines).toHaveLength(2);
  expect(String(lines[0]!.text)).toMatch(/^\{"t":\d+,"big":"yyy/);
  expect(lines[1]).toEqual({ t: 0, after: true });
});

/** A worker started before the main thread loads the log modules, and one that it starts. */
const EARLY = `
  import { once } from 'node:events';
  import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
  import { workerFile } from '${ROOT}src/worker-file.ts';
  const start = (role) => {
    const f = workerFile(import.meta.url, './writer');
    return new Worker(f.url, { execArgv: f.execArgv, workerData: role });
  };
  if (isMainThread) {
    const early = start('early'); // before anything here has loaded log-lock.ts
    const [maxes] = await once(early, 'message');
    const { LineBuffer } = await import('${ROOT}src/log-buffer.ts');
    process.stderr.write(JSON.stringify({ main: new LineBuffer(1).max, ...maxes }));
  } else {
    const { LineBuffer } = await import('${ROOT}src/log-buffer.ts');
    const max = new LineBuffer(1).max;
    if (workerData === 'early') {
      const [child] = await once(start('child'), 'message');
      parentPort.postMessage({ early: max, ...child });
    } else parentPort.postMessage({ child: max });
  }
`;

it('threads outside the shared lock (started before the main thread loaded it, and the threads they start) write at most PIPE_BUF at a time to a pipe', {
  timeout: 120_000,
}, async () => {
  const dir = await tempDir('vs-pipe-early-');
  // stdout: Node's 'pipe' (a socket pair): not a file, so only the lock allows 64 KiB writes.
  const { exited } = await startWriter(dir, EARLY, 'pipe', 'ignore');
  const { result, err } = await exited;
  expect({ result, maxes: JSON.parse(err) }).toEqual({
    result: [0, null],
    maxes: { main: BATCH, early: 4096, child: 4096 },
  });
});
