/**
 * Node's process warnings are log lines too: a deprecation, or a dependency's notice (the AWS SDK
 * warns about Node versions when an S3 client is made, in every thread that makes one), is one
 * JSON warn line of the thread that emitted it, not several lines of text on stderr. Silenced by
 * `NODE_NO_WARNINGS=1` as Node's own printing is.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Three threads emit a two-line warning: the main thread and a worker after loading the logger,
 * and a pool thread whose task never logs (test/fixtures/ops/warn.task.ts).
 */
const SCRIPT = `
  import '${ROOT}src/log.ts';
  import { once } from 'node:events';
  import { isMainThread, threadId, Worker } from 'node:worker_threads';
  import { createPool } from '${ROOT}src/actors/index.ts';
  import { workerFile } from '${ROOT}src/worker-file.ts';
  process.emitWarning('from thread ' + threadId + '\\nsecond line', { code: 'VS_TEST_WARNING' });
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
  dir ??= await mkdtemp(join(tmpdir(), 'vs-log-warnings-'));
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  await writeFile(join(dir, 'warner.ts'), SCRIPT);
  const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'warner.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((res) => child.once('close', res));
  return { code, out, err };
}

it('a warning in the main thread, a worker and a pool thread: one JSON warn line each, nothing on stderr', {
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
});

it('NODE_NO_WARNINGS=1 silences them, as it does Node’s own printing', {
  timeout: 60_000,
}, async () => {
  const { code, out, err } = await run({ NODE_NO_WARNINGS: '1' });
  expect({ code, out, err }).toEqual({ code: 0, out: '', err: '' });
});
