/** Runs wrk with a generated Lua script (method, headers, body) and parses its summary. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  requests: number;
}

const lua = (s: string) => JSON.stringify(s); // a JSON string literal is a valid Lua string

function script(r: WrkRequest): string {
  const lines = [`wrk.method = ${lua(r.method)}`];
  for (const [k, v] of Object.entries(r.headers)) lines.push(`wrk.headers[${lua(k)}] = ${lua(v)}`);
  if (r.body !== undefined) lines.push(`wrk.body = ${lua(r.body)}`);
  return `${lines.join('\n')}\n`;
}

function ms(text: string, pct: string): number {
  const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text);
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

export async function wrk(
  r: WrkRequest,
  opts: { threads: number; connections: number; seconds: number; timeoutSeconds?: number },
): Promise<WrkResult> {
  const dir = await mkdtemp(join(tmpdir(), 'vs-wrk-'));
  try {
    const file = join(dir, 'req.lua');
    await writeFile(file, script(r));
    const { stdout } = await run('wrk', [
      `-t${opts.threads}`,
      `-c${opts.connections}`,
      `-d${opts.seconds}s`,
      `--timeout=${opts.timeoutSeconds ?? 2}s`,
      '--latency',
      '-s',
      file,
      r.url,
    ]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
    const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
    return { rps, p50ms: ms(stdout, '50'), p99ms: ms(stdout, '99'), non2xx, requests };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
