/**
 * The production path: `npm start` = build, then `node dist/cli.js start`. Worker threads there
 * load compiled .js (no tsx), so this is the test that the build really runs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [join(ROOT, 'dist/cli.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  }).catch((e: { code: number; stdout: string; stderr: string }) => e);

describe('video-server (built)', () => {
  let parent: string;

  beforeAll(async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT });
    parent = await mkdtemp(join(tmpdir(), 'vs-cli-'));
  }, 180_000);
  afterAll(() => rm(parent, { recursive: true, force: true }));

  it('starts all four services on a DATA_DIR that does not exist yet, serves the home page, exits 0 on SIGTERM', async () => {
    const dataDir = join(parent, 'data'); // "an empty DATA_DIR": not even created
    // A start that hangs fails on startTestServer's bound; how fast it starts is not asserted (a
    // loaded machine decides that: benchmarks measure it).
    const server = await startTestServer({ entry: 'dist', dataDir, env: { HTTP_THREADS: '2' } });
    try {
      expect(Object.keys(server.urls).sort()).toEqual(['api', 'scheduler', 'stream', 'web']);
      const home = await fetch(server.urls.web!);
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toMatch(/text\/html/);
      expect(await home.text()).toMatch(/<form/i);
      const css = await fetch(`${server.urls.web}/statics/css/site.css`);
      expect(css.status).toBe(200);
      expect(await readdir(dataDir)).not.toHaveLength(0);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses a bad setting with a message naming it, exit 1', async () => {
    const err = await cli(['start'], { STREAM_MAX_CONNS: 'many' });
    expect(err).toMatchObject({ code: 1 });
    // The error is a JSON log line on stdout, like everything the server says.
    const line = JSON.parse((err as { stdout: string }).stdout.trim().split('\n').at(-1)!);
    expect(line).toMatchObject({ level: 50, setting: 'STREAM_MAX_CONNS' });
    expect(line.msg).toMatch(/STREAM_MAX_CONNS: must be an integer/);
  });

  it('rejects an unknown command with usage, exit 2', async () => {
    const err = await cli(['serve']);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/usage: video-server start/);
  });
});
