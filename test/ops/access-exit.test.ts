/**
 * Access lines are made and written in batches (src/http/common/access-log.ts, src/log-buffer.ts).
 * A process or worker thread that ends right after its last request must still write every line
 * once: each is drained at exit. Real processes, stdout a pipe, the public writer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
        write({ reqId: 'exit-' + i, method: 'get', status: 404, bytes: 21, user: i % 2 ? 'u-' + i : undefined }, 0.00125, i === 7);
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
});
