/**
 * Log readers for the log-write tests, each on a FIFO (as docker hands a container its stdout):
 * one that keeps reading, slowly, a chunk at a time with a pause after each, passed on to its
 * stdout, and catches up (64 KiB per read, no pause) once told to; and `cat` into a file, which
 * the test stops and resumes (SIGSTOP, SIGCONT) to fill the pipe.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The reader: CHUNK bytes per read(2) and PAUSE_MS after each, passed on to stdout, until
 * end-of-file; once the file FAST exists, 64 KiB per read and no pause.
 */
const READER = `
  const fs = require('node:fs');
  const [fifo, fast, chunk, pauseMs] = process.argv.slice(1);
  const from = fs.openSync(fifo, 'r');
  const buf = Buffer.alloc(64 * 1024);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let n; ; ) {
    const quick = fs.existsSync(fast);
    if ((n = fs.readSync(from, buf, 0, quick ? buf.length : Number(chunk), null)) === 0) break;
    fs.writeSync(1, buf, 0, n);
    if (!quick) Atomics.wait(pause, 0, 0, Number(pauseMs));
  }
`;

export const exitOf = (p: ChildProcess) =>
  p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((res) => p.once('exit', () => res()));

/**
 * Starts the reader of a new FIFO in `dir` (`chunk` bytes per read, `pauseMs` after each) and
 * registers its end with `cleanups`. Returns the FIFO's write end (`fd`, to hand to the writer
 * and close), the reader (its stdout carries what it read), and `catchUp`.
 */
export function slowReader(
  dir: string,
  chunk: number,
  pauseMs: number,
  cleanups: (() => Promise<unknown>)[],
) {
  const fifo = join(dir, 'stdout');
  const fast = join(dir, 'fast');
  execFileSync('mkfifo', [fifo]);
  const args = ['-e', READER, fifo, fast, String(chunk), String(pauseMs)];
  const reader = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(async () => {
    reader.kill('SIGKILL');
    await exitOf(reader);
  });
  const fd = openSync(fifo, 'w'); // waits for the reader to open its end
  return { fd, reader, catchUp: () => writeFileSync(fast, '') };
}

/**
 * A FIFO in `dir` read by `cat` into `<dir>/out.log`, and its write end (`out`, to hand to a
 * writer and close); `signal` stops and resumes cat, `catExited` settles once it has drained the
 * FIFO after the last writer closed it. Registers cat's end with `cleanups`.
 */
export function fifoWithCat(dir: string, cleanups: (() => Promise<unknown>)[]) {
  const fifo = join(dir, 'out');
  execFileSync('mkfifo', [fifo]);
  const copy = openSync(`${fifo}.log`, 'w');
  const cat = spawn('cat', [fifo], { stdio: ['ignore', copy, 'inherit'] });
  closeSync(copy);
  const catExited = exitOf(cat);
  const signal = (s: NodeJS.Signals) => {
    if (cat.exitCode === null && cat.signalCode === null) cat.kill(s);
  };
  cleanups.push(() => {
    signal('SIGKILL');
    return catExited;
  });
  const out = openSync(fifo, 'w'); // waits for cat to open its end
  return { out, signal, catExited };
}

/**
 * Runs `source` (an ES module, written to `dir`/writer.ts) from the project's root with tsx, its
 * stdout `fd` (which it closes here: the reader sees end-of-file once the writer is gone), stdin
 * and stderr pipes, and `env` added; registers its end with `cleanups`.
 */
export async function startWriter(
  dir: string,
  source: string,
  fd: number,
  env: Record<string, string>,
  cleanups: (() => Promise<unknown>)[],
): Promise<ChildProcess> {
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  await writeFile(join(dir, 'writer.ts'), source);
  const writer = spawn(process.execPath, ['--import', 'tsx', join(dir, 'writer.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', fd, 'pipe'],
  });
  closeSync(fd);
  cleanups.push(async () => {
    writer.kill('SIGKILL');
    await exitOf(writer);
  });
  return writer;
}

/** Each line parsed as JSON, or `{ text }` (its first 80 characters) when it is not JSON. */
export function parseLines(text: string): Record<string, unknown>[] {
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .slice(0, -1)
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { text: l.slice(0, 80) };
      }
    });
}
