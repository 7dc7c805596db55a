/**
 * For test/ops/log-pretty.test.ts: the real `video-server start` with LOG_FORMAT=pretty and its
 * stdout a FIFO read by `cat` (test/ops/fifo-reader.ts), which a test stops (SIGSTOP: a paused
 * pager) and resumes; and a parser of pino-pretty's text into records. (test/helpers/
 * piped-server.ts finds the server's ports in JSON lines, which pretty output has none of.)
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, vi } from 'vitest';
import { serverEnv } from '../helpers/piped-server.js';
import { exitOf, fifoWithCat } from './fifo-reader.js';
import { freePort } from './prom.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One pretty record: `[HH:MM:SS.mmm] LEVEL (pid): msg`, then its fields indented by 4. */
export interface PrettyRecord {
  level: string;
  msg: string;
  /** Each top-level field's text as printed (an object's lines joined with '\n'). */
  fields: Record<string, string>;
}

const HEADER = /^\[\d\d:\d\d:\d\d\.\d{3}\] (DEBUG|INFO|WARN|ERROR|FATAL) \(\d+\): (.*)$/;
const FIELD = /^ {4}(\w+): (.*)$/;
const DEEPER = /^ {5,}\S/;

/**
 * The whole lines of `text` as records, and the lines that fit no record (`stray`: a JSON line,
 * a line cut or joined with another's, a field with no record before it).
 */
export function parseRecords(text: string): { records: PrettyRecord[]; stray: string[] } {
  const records: PrettyRecord[] = [];
  const stray: string[] = [];
  let field = '';
  for (const line of text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .slice(0, -1)) {
    const head = HEADER.exec(line);
    const f = FIELD.exec(line);
    const last = records.at(-1);
    if (head) {
      records.push({ level: head[1]!, msg: head[2]!, fields: {} });
      field = '';
    } else if (f && last && !(f[1]! in last.fields)) {
      field = f[1]!;
      last.fields[field] = f[2]!;
    } else if ((DEEPER.test(line) || /^ {4}[}\]]$/.test(line)) && last && field) {
      last.fields[field] += `\n${line}`;
    } else {
      stray.push(line);
    }
  }
  return { records, stray };
}

export interface PrettyServer {
  readonly urls: Record<string, string>;
  readonly metrics: string;
  /** What `cat` passed on so far. */
  text(): string;
  /** SIGSTOP or SIGCONT the stdout reader. */
  signal(s: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export interface PrettyServerOptions {
  env?: Record<string, string>;
  /** Passed as `--only`. @default 'web,api,stream' */
  only?: string;
  /** A module run instead of src/cli.ts with the same arguments (test/fixtures/). */
  cli?: string;
}

/** The server, stdout read by a stoppable `cat`; `opts.env` added. */
export async function startPrettyServer(
  opts: PrettyServerOptions,
  cleanups: (() => Promise<unknown>)[],
): Promise<PrettyServer> {
  const only = opts.only ?? 'web,api,stream';
  const dir = await mkdtemp(join(tmpdir(), 'vs-pretty-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const { out, signal } = fifoWithCat(dir, cleanups);
  const err = openSync(join(dir, 'stderr.log'), 'w');
  const port = await freePort();
  const args = ['--import', 'tsx', opts.cli ?? join(ROOT, 'src/cli.ts'), 'start', '--only', only];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: serverEnv(dir, { METRICS_PORT: String(port), LOG_FORMAT: 'pretty', ...opts.env }),
    stdio: ['ignore', out, err],
  });
  // The child has its own copies; cat must see end-of-file when the server exits.
  closeSync(out);
  closeSync(err);
  const stop = async () => {
    signal('SIGCONT'); // a stopped reader must not hold the exit up
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exitOf(child);
  };
  cleanups.push(stop);
  const text = () => readFileSync(join(dir, 'out.log'), 'utf8');
  const urls: Record<string, string> = {};
  await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(readFileSync(join(dir, 'stderr.log'), 'utf8'));
      for (const r of parseRecords(text()).records) {
        const m = /^(\w+) listening on (http:\S+)$/.exec(r.msg);
        if (m && m[1] !== 'metrics') urls[m[1]!] = m[2]!;
      }
      expect(Object.keys(urls).sort()).toEqual(only.split(',').sort());
    },
    { timeout: 60_000, interval: 100 },
  );
  return { urls, metrics: `http://127.0.0.1:${port}`, text, signal, stop };
}
