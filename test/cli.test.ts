/**
 * The production path: `npm start` = build, then `node dist/cli.js start`. Worker threads there
 * load compiled .js (no tsx), so this is the test that the build really runs.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

describe('video-server (built)', () => {
  let dataDir: string;

  beforeAll(async () => {
    await run(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
      },
    );
    dataDir = await mkdtemp(join(tmpdir(), 'vs-cli-'));
    await rm(dataDir, { recursive: true }); // "an empty DATA_DIR": not even created yet
  }, 180_000);
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts all four services on a fresh DATA_DIR, serves the home page, exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'start', '--threads', '2'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        WEB_PORT: '0',
        API_PORT: '0',
        STREAM_PORT: '0',
        SCHEDULER_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const urls: Record<string, string> = {};
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^(\w+) listening on (http:\/\/\S+)$/.exec(line);
        if (m) urls[m[1]!] = m[2]!;
        if (Object.keys(urls).length === 4) resolve();
      });
      exited.then((code) => reject(new Error(`exited ${code} before listening:\n${stderr}`)));
    });
    try {
      expect(Object.keys(urls).sort()).toEqual(['api', 'scheduler', 'stream', 'web']);
      const home = await fetch(urls.web!);
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toMatch(/text\/html/);
      expect(await home.text()).toMatch(/<form/i);
      // Not a timing assertion on performance: "serves the home page within seconds" is the spec.
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(await readdir(dataDir)).not.toHaveLength(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a bad setting with a message naming it, exit 1', async () => {
    const err = await run(process.execPath, [join(ROOT, 'dist/cli.js'), 'start'], {
      cwd: ROOT,
      env: { ...process.env, STREAM_MAX_CONNS: 'many' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/STREAM_MAX_CONNS: must be an integer/);
  });

  it('rejects an unknown command with usage, exit 2', async () => {
    const err = await run(process.execPath, [join(ROOT, 'dist/cli.js'), 'serve'], {
      cwd: ROOT,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/usage: video-server start/);
  });
});
