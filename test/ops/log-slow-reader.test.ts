/**
 * src/log-write.ts against a reader that keeps reading, slowly: the real writer in a real process,
 * fd 1 a FIFO (as docker hands it) read by another process a chunk at a time with a pause after
 * each. One that trickles (a page of the pipe every few tens of ms: never stalled, but far too slow
 * for the batch) must not hold the writing thread past the batch bound (BATCH_STALLS ×
 * LOG_STALL_MS): the thread gets free, the rest of the batch is dropped and counted as `slow`, and
 * once the reader catches up the warn notice says so. One that is slow but steady (takes the
 * batch well within the bound) loses nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exitOf, slowReader, startWriter } from './fifo-reader.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * The writer: LINES lines of ~1 KiB in one batch; then the process's drops (stderr); then, from
 * "go" (stdin) until "stop", a short `{probe: i}` line every 20 ms — the first the reader has room
 * for comes after the notice of what was dropped (a probe tried before is dropped and counted).
 */
const WRITER = `
  import '${ROOT}src/log.ts'; // the main thread makes fd 1 non-blocking (log.ts)
  import { createInterface } from 'node:readline';
  import { droppedLines, writeLines } from '${ROOT}src/log-write.ts';
  const pad = 'x'.repeat(1000);
  const lines = [];
  for (let n = 0; n < Number(process.env.LINES); n++) lines.push(JSON.stringify({ n, pad }) + '\\n');
  writeLines(1, Buffer.from(lines.join('')));
  process.stderr.write(JSON.stringify(Object.fromEntries(droppedLines())) + '\\n');
  const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  await input.next(); // go
  let probe = 0;
  const next = setInterval(() => writeLines(1, Buffer.from(JSON.stringify({ probe: probe++ }) + '\\n')), 20);
  await input.next(); // stop
  clearInterval(next);
  process.exit(0);
`;

interface Run {
  /** The writer's droppedLines() once its batch call returned. */
  dropped: Record<string, number>;
  /** Every line the reader passed on (a line cut by a drop is ended before the next write). */
  lines: string[];
}

async function run(lines: number, chunk: number, pauseMs: number): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'vs-log-slow-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const { fd, reader, catchUp } = slowReader(dir, chunk, pauseMs, cleanups);
  const writer = await startWriter(
    dir,
    WRITER,
    fd,
    { LINES: String(lines), LOG_STALL_MS: '5000' },
    cleanups,
  );

  let text = '';
  const read = new Promise<void>((res) => {
    reader.stdout!.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      // A probe arrived whole: the writer has got through again.
      if (/^\{"probe":\d+\}$/m.test(text) && writer.stdin!.writable) writer.stdin!.end('stop\n');
    });
    reader.stdout!.once('close', res);
  });
  let err = '';
  const dropped = await new Promise<Record<string, number>>((resolve, reject) => {
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
  catchUp();
  writer.stdin!.write('go\n');
  await exitOf(writer);
  await read; // the reader passes on what is left in the pipe, then sees end-of-file
  const end = text.lastIndexOf('\n') + 1;
  expect(text.slice(end)).toBe(''); // the writer ended every line it began
  return { dropped, lines: text.slice(0, end).split('\n').slice(0, -1) };
}

describe('log-write to a reader that keeps reading, slowly', () => {
  it('a trickling reader (a few bytes at a time, never stalled) does not hold the thread past the batch bound: the rest is dropped and counted as slow, and the notice says so', {
    timeout: 180_000,
  }, async () => {
    // 16 MiB in one batch; the reader takes 1 KiB per 20 ms (a pipe page every ~80 ms, far
    // within the 5 s stall bound): without a batch bound the writer waits for it ~6 minutes.
    const LINES = 16_384;
    const r = await run(LINES, 1024, 20);

    expect(Object.keys(r.dropped)).toEqual(['slow']);
    const dropped = r.dropped.slow!;
    expect(dropped).toBeGreaterThan(0);
    // The lines that arrived are the first ones, whole and in order (it was read, not stalled);
    // the rest is counted: nothing lost silently. A line cut by the drop (counted) was ended
    // with a newline before the next write.
    const arrived = LINES - dropped;
    expect(arrived).toBeGreaterThan(0);
    expect(r.lines.slice(0, arrived)).toEqual(
      Array.from({ length: arrived }, (_, n) => JSON.stringify({ n, pad: 'x'.repeat(1000) })),
    );
    let at = arrived;
    if (r.lines[at]!.startsWith(`{"n":${arrived},`)) at++;
    // Then the notice: the batch's drops, and any probe tried before the reader had room.
    const notice = JSON.parse(r.lines[at]!) as Record<string, unknown>;
    const first = JSON.parse(r.lines[at + 1]!) as { probe: number };
    expect(notice).toMatchObject({ level: 40, scope: 'log', reason: 'slow' });
    expect(notice.dropped).toBe(dropped + first.probe);
  });

  it('a slow but steady reader (16 KiB per 10 ms: the batch takes dozens of pipe refills) loses nothing', {
    timeout: 180_000,
  }, async () => {
    const LINES = 2048; // 2 MiB: ~32 pipes full
    const r = await run(LINES, 16 * 1024, 10);

    expect(r.dropped).toEqual({});
    expect(r.lines.slice(0, LINES)).toEqual(
      Array.from({ length: LINES }, (_, n) => JSON.stringify({ n, pad: 'x'.repeat(1000) })),
    );
    expect(JSON.parse(r.lines[LINES]!)).toEqual({ probe: 0 }); // and no notice
  });
});
