/**
 * What would be text is log lines (src/log-capture.ts): a Node process warning (a deprecation, or
 * the AWS SDK's notice about Node versions when an S3 client is made, in every thread that makes
 * one) and a console call (lmdb-js reports a failed commit with console.error) are each one JSON
 * line of the thread they happened in, not text on stderr. Warnings stay silenced by
 * `NODE_NO_WARNINGS=1`, as Node's own printing is.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ROOT, runScript } from '../helpers/script.js';

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Three threads emit a two-line warning and call console.error: the main thread and a worker
 * (each captures its output, as the server's entries do) and a pool thread whose task never
 * logs (test/fixtures/ops/warn.task.ts: defineTask captures it).
 */
const SCRIPT = `
  import { captureOutput } from '${ROOT}src/log-capture.ts';
  import { once } from 'node:events';
  import { isMainThread, threadId, Worker } from 'node:worker_threads';
  import { createPool } from '${ROOT}src/actors/index.ts';
  import { workerFile } from '${ROOT}src/worker-file.ts';
  captureOutput();
  process.emitWarning('from thread ' + threadId + '\\nsecond line', { code: 'VS_TEST_WARNING' });
  console.error('console in thread %d', threadId, { n: 1 });
  if (isMainThread) {
    const f = workerFile(import.meta.url, './warner');
    const w = new Worker(f.url, { execArgv: f.execArgv });
    await once(w, 'exit');
    const pool = createPool({
      file: workerFile('file://${ROOT}test/fixtures/ops/here.ts', './warn.task'),
      threads: 1,
    });
    await pool.run(undefined);
    await pool.close();
  }
`;

async function run(env: Record<string, string>) {
  dir ??= await mkdtemp(join(tmpdir(), 'vs-log-capture-'));
  return runScript(dir, 'warner', SCRIPT, env);
}

it('a warning and a console.error in the main thread, a worker and a pool thread: one JSON line each, nothing on stderr', {
  timeout: 60_000,
}, async () => {
  const { code, out, err } = await run({});
  expect(err).toBe('');
  expect(code).toBe(0);
  const lines = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const warned = lines.filter((l) => l.code === 'VS_TEST_WARNING');
  expect(warned).toHaveLength(3);
  for (const l of warned) {
    expect(l).toMatchObject({ level: 40, scope: 'node', name: 'Warning' });
    expect(l.msg).toBe(`from thread ${l.thread}\nsecond line`);
  }
  expect(new Set(warned.map((l) => l.thread)).size).toBe(3);
  const consoled = lines.filter((l) => l.scope === 'console');
  expect(consoled).toHaveLength(3);
  for (const l of consoled) {
    expect(l).toMatchObject({ level: 50, msg: `console in thread ${l.thread} { n: 1 }` });
  }
  expect(new Set(consoled.map((l) => l.thread))).toEqual(new Set(warned.map((l) => l.thread)));
});

it('NODE_NO_WARNINGS=1 silences the warnings, as it does Node’s own printing', {
  timeout: 60_000,
}, async () => {
  const { code, out, err } = await run({ NODE_NO_WARNINGS: '1' });
  expect({ code, err }).toEqual({ code: 0, err: '' });
  const lines = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.filter((l) => l.scope === 'node')).toEqual([]);
  expect(lines.filter((l) => l.scope === 'console')).toHaveLength(3);
});
