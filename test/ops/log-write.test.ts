/**
 * src/log-write.ts on a stream socket (systemd's journald connection) whose reader stalls with a
 * line in flight: the real writer in a real process, fd 1 the socket, the test the reader. A
 * stream socket may take part of a write; when the stall bound passes mid-line, the rest is
 * dropped and counted, and the cut line is ended with a newline before anything else, so every
 * line after it is whole.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * The writer's side: one line far larger than the socket holds, one more, then from "go" on a
 * short line every 20 ms until "stop". The fd is stalled by then (one attempt per write): a line
 * written before the reader has made room is dropped and counted too, the next one is tried.
 */
const WRITER = `
  import '${ROOT}src/log.ts'; // the main thread makes fd 1 non-blocking (log.ts)
  import { createInterface } from 'node:readline';
  import { writeLines } from '${ROOT}src/log-write.ts';
  const line = (o) => Buffer.from(JSON.stringify(o) + '\\n');
  writeLines(1, line({ n: 1, big: 'x'.repeat(4_000_000) }));
  writeLines(1, line({ n: 2 }));
  process.stderr.write('written\\n');
  const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  await input.next(); // go
  let n = 3;
  const next = setInterval(() => writeLines(1, line({ n: n++ })), 20);
  await input.next(); // stop
  clearInterval(next);
  process.exit(0);
`;

describe('log-write on a stream socket', () => {
  it('a reader that stalls mid-line: the cut line is ended, both dropped lines are counted, the next line is whole', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vs-log-write-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    await writeFile(join(dir, 'writer.mts'), WRITER);
    // stdout: a socket pair (libuv's 'pipe'), not read until the writer says it is done.
    const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'writer.mts')], {
      cwd: ROOT,
      env: { ...process.env, LOG_STALL_MS: '200' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    // Nothing reads stdout yet: Node buffers at most its high-water mark, the socket a few
    // hundred KiB; the 4 MB line stalls part-way, past the 200 ms bound.
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', () => err.includes('written') && resolve());
      void exited.then((code) => reject(new Error(`writer exited ${code}: ${err}`)));
    });
    const lines: string[] = [];
    const read = new Promise<void>((res) =>
      createInterface({ input: child.stdout! })
        .on('line', (l) => {
          lines.push(l);
          // A short line arrived: the reader has caught up.
          if (l.startsWith('{"n":') && l.length < 20 && child.stdin!.writable)
            child.stdin!.end('stop\n');
        })
        .once('close', res),
    );
    child.stdin!.write('go\n');
    expect(await exited).toBe(0);
    await read;

    expect(lines.length).toBeGreaterThanOrEqual(3);
    const [cut, notice, next] = lines as [string, string, string];
    expect(cut.startsWith('{"n":1,"big":"xxx')).toBe(true);
    expect(cut.length).toBeLessThan(4_000_000); // only part of it got through
    expect(() => JSON.parse(cut)).toThrow();
    // The first short line the socket took is whole, after the notice; every line before it
    // (the long one, n 2, and any short one tried while the socket was still full) is counted.
    const { n } = JSON.parse(next) as { n: number };
    expect(JSON.parse(next)).toEqual({ n });
    expect(n).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(notice)).toMatchObject({
      level: 40,
      scope: 'log',
      dropped: n - 1,
      reason: 'stalled',
    });
  });
});
