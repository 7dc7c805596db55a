/**
 * Runs a TypeScript module written by a test as its own Node process (through tsx, from the
 * project root, so it can import `src/` by absolute path) and collects what it wrote: for tests
 * of what a process prints, such as log-capture's.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root, with a trailing slash: `${ROOT}src/log.ts` in a script's imports. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ScriptRun {
  code: number | null;
  out: string;
  err: string;
}

/** Writes `source` to `<dir>/<name>.ts` (an ES module) and runs it with `env` added. */
export async function runScript(
  dir: string,
  name: string,
  source: string,
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  await writeFile(join(dir, `${name}.ts`), source);
  const child = spawn(process.execPath, ['--import', 'tsx', join(dir, `${name}.ts`)], {
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
