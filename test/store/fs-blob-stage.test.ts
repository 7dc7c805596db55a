/**
 * The local copy GridFS and S3 writers keep of an upload (src/store/fs-blob-stage.ts): a copy a
 * killed process left behind is removed when this process opens its first copy; copies of live
 * processes are left alone.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LocalStage } from '../../src/store/fs-blob-stage.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

it('removes copies of dead processes, keeps those of live ones', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-stage-test-'));
  dirs.push(dir);
  // A pid that is certainly dead: a child that has exited (and been reaped).
  const child = execFile(process.execPath, ['-e', '0']);
  const deadPid = child.pid as number;
  await new Promise((resolve) => child.once('exit', resolve));
  const dead = `vs-stage-${deadPid}-0123abcd`;
  const live = `vs-stage-${process.ppid}-0123abcd`;
  await writeFile(join(dir, dead), 'left by a killed upload');
  await writeFile(join(dir, live), 'an upload in progress elsewhere');
  await writeFile(join(dir, 'unrelated'), 'x');
  const stage = await LocalStage.open(dir);
  await stage.write(Buffer.from('abc'));
  expect((await readdir(dir)).sort()).toEqual(
    [live, 'unrelated', stage.path.slice(dir.length + 1)].sort(),
  );
  await stage.discard();
  await stage.discard(); // idempotent
  expect((await readdir(dir)).sort()).toEqual([live, 'unrelated'].sort());
});
