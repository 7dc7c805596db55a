/**
 * src/log-write.ts against a reader that keeps reading, slowly: the real writer in a real process,
 * fd 1 a FIFO (as docker hands it) read by another process a chunk at a time with a pause after
 * each. One that trickles (a page of the pipe every few tens of ms: never stalled, but far too slow
 * for the batch) must not hold the writing thread past the batch bound (BATCH_STALLS ×
 * LOG_STALL_MS): the thread gets free, the rest of the batch is dropped and counted as `slow`.
 * One that is slow but steady (takes the batch well within the bound) loses nothing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The writer: LINES lines of ~1 KiB in one batch, then the process's drops (stderr), and exit. */
const WRITER = `
  import '${ROOT}src/log.ts'; // the main thread makes fd 1 non-blocking (log.ts)
  import { droppedLines, writeLines } from '${ROOT}src/log-write.ts';
  const pad = 'x'.repeat(1000);
  const lines = [];
  for (let n = 0; n < Number(process.env.LINES); n++) lines.push(JSON.stringify({ n, pad }) + '\\n');
  writeLines(1, Buffer.from(lines.join('')));
  process.stderr.write(JSON.stringify(Object.fromEntries(droppedLines())) + '\\n');
  process.exit(0);
`;

/** The reader: CHUNK bytes per read(2), PAUSE_MS after each, into a file, until end-of-file. */
const READER = `
  const fs = require('node:fs');
  const [fifo, file, chunk, pauseMs] = process.argv.slice(1);
  const from = fs.openSync(fifo, 'r');
  const to = fs.openSync(file, 'w');
  const buf = Buffer.alloc(Number(chunk));
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let n; (n = fs.readSync(from, buf, 0, buf.length, null)) > 0; ) {
    fs.writeSync(to, buf, 0, n);
    Atomics.wait(pause, 0, 0, Number(pauseMs));
  }
`;

interface Run {
  /** The writer's droppedLines(), once its batch call returned. */
  dropped: Record<string, number>;
  /** The whole lines the reader got, parsed. */
  lines: { n: number }[];
  /** What follows the last newline (a line cut short by a drop). */
  tail: string;
}

const exitOf = (p: ChildProcess) =>
  p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((res) => p.once('exit', () => res()));

async function run(lines: number, chunk: number, pauseMs: number): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'vs-log-slow-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  await writeFile(join(dir, 'writer.mts'), WRITER);
  const fifo = join(dir, 'stdout');
  execFileSync('mkfifo', [fifo]);
  const reader = spawn(
    process.execPath,
    ['-e', READER, fifo, join(dir, 'read'), String(chunk), String(pauseMs)],
    { stdio: 'inherit' },
  );
  cleanups.push(async () => {
    reader.kill('SIGKILL');
    await exitOf(reader);
  });
  const fd = openSync(fifo, 'w'); // waits for the reader to open its end
  const writer = spawn(process.execPath, ['--import', 'tsx', join(dir, 'writer.mts')], {
    cwd: ROOT,
    env: { ...process.env, LINES: String(lines), LOG_STALL_MS: '5000' },
    stdio: ['ignore', fd, 'pipe'],
  });
  closeSync(fd); // the reader sees end-of-file when the writer is gone
  cleanups.push(async () => {
    writer.kill('SIGKILL');
    await exitOf(writer);
  });
  let err = '';
  const report = new Promise<Record<string, number>>((resolve, reject) => {
    writer.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const line = err.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as Record<string, number>);
    });
    writer.once('close', (code) => reject(new Error(`writer exited ${code}: ${err}`)));
    // Generous: the bound is 4 × 5 s; on main the trickled batch would take minutes.
    setTimeout(
      () => reject(new Error('the writer is still held by its batch after 120 s')),
      120_000,
    ).unref();
  });
  const dropped = await report;
  await exitOf(writer);
  await exitOf(reader); // what was in the pipe is read out, then end-of-file
  const text = readFileSync(join(dir, 'read'), 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  return {
    dropped,
    lines: text
      .slice(0, end)
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l) as { n: number }),
    tail: text.slice(end),
  };
}

describe('log-write to a reader that keeps reading, slowly', () => {
  it('a trickling reader (a few bytes at a time, never stalled) does not hold the thread past the batch bound: the rest is dropped and counted as slow, nothing lost silently', {
    timeout: 180_000,
  }, async () => {
    // 16 MiB in one batch; the reader takes 1 KiB per 20 ms (a pipe page every ~80 ms, far
    // within the 5 s stall bound): without a batch bound the writer waits for it ~6 minutes.
    const LINES = 16_384;
    const r = await run(LINES, 1024, 20);

    expect(Object.keys(r.dropped)).toEqual(['slow']);
    const dropped = r.dropped.slow!;
    expect(dropped).toBeGreaterThan(0);
    expect(r.lines.length).toBeGreaterThan(0); // it was read, not stalled
    // The lines that arrived are the first ones, whole and in order; the rest are counted.
    expect(r.lines.map((l) => l.n)).toEqual(Array.from({ length: r.lines.length }, (_, i) => i));
    expect(r.lines.length + dropped).toBe(LINES);
    // A line cut mid-way is counted dropped (log-write ends it before its next write).
    if (r.tail) expect(r.tail.startsWith(`{"n":${r.lines.length},`)).toBe(true);
  });

  it('a slow but steady reader (16 KiB per 10 ms: the batch takes dozens of pipe refills) loses nothing', {
    timeout: 180_000,
  }, async () => {
    const LINES = 2048; // 2 MiB: ~32 pipes full
    const r = await run(LINES, 16 * 1024, 10);

    expect(r.dropped).toEqual({});
    expect(r.tail).toBe('');
    expect(r.lines.map((l) => l.n)).toEqual(Array.from({ length: LINES }, (_, i) => i));
  });
});
