/**
 * Starts the real `video-server start` command from sources as a child process — the same code
 * path as `npm start`, minus the build — on free ports and a fresh DATA_DIR, and reads the
 * `<service> listening on <url>` log lines it prints (JSON on stdout, with `service` and `url`).
 * Teardown: SIGTERM, wait for exit 0, remove data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface TestServer {
  /** Service name → base URL, e.g. `{ web: 'http://127.0.0.1:41234', … }`. */
  readonly urls: Record<string, string>;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** Every line the process wrote to stdout so far (its JSON log). */
  stdout(): string[];
  /** The first stdout line (parsed JSON) matching `pred`, past or future; rejects after `timeoutMs`. */
  waitForLine(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /**
   * SIGTERM and wait; resolves with the exit code. Idempotent. Rejects when the process wrote
   * anything but JSON lines (see `strayOutput`).
   */
  stop(): Promise<number | null>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** Passed as `--only`; default all four services. */
  only?: string;
  /** Keep DATA_DIR after stop (default false). */
  keepData?: boolean;
  dataDir?: string;
  timeoutMs?: number;
  /** `sources` (default): src/cli.ts through tsx; `dist`: the build, exactly what `npm start` runs. */
  entry?: 'sources' | 'dist';
  /** A module run (through tsx) instead of src/cli.ts with the same arguments: a fixture that
   *  calls runCli with its own start options (a real parameter, as in test/fixtures/). */
  cli?: string;
}

/**
 * What a server wrote besides JSON lines: every stdout line that does not parse, and stderr,
 * but for liblmdb's own `Write error: … size N` (a failed commit's fprintf to fd 2, which no
 * code of ours can capture). Every server a test starts is held to it (issue 14: every line of
 * a full test run's server output is JSON).
 */
export function strayOutput(stdout: readonly string[], stderr: string): string[] {
  const stray = stdout.filter((line) => {
    try {
      JSON.parse(line);
      return false;
    } catch {
      return true;
    }
  });
  const err = stderr.replace(/Write error: [^\n]*? size \d+/g, '');
  return err === '' ? stray : [...stray, `stderr: ${err}`];
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'vs-server-')));
  const only = opts.only ?? 'web,api,stream,scheduler';
  const expected = only.split(',');
  // A metrics port announces itself too; wait for it so `urls.metrics` is there.
  const metricsPort = opts.env?.METRICS_PORT;
  if (metricsPort !== undefined && metricsPort !== '0') expected.push('metrics');
  const args =
    opts.entry === 'dist'
      ? [join(ROOT, 'dist/cli.js'), 'start', '--only', only]
      : ['--import', 'tsx', opts.cli ?? join(ROOT, 'src/cli.ts'), 'start', '--only', only];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      WEB_PORT: '0',
      API_PORT: '0',
      STREAM_PORT: '0',
      SCHEDULER_PORT: '0',
      HTTP_THREADS: '1',
      SCHEDULER_INTERVAL_MS: '200',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // No metrics port (9464 would clash between parallel servers) and no readiness grace.
      METRICS_PORT: '0',
      SHUTDOWN_GRACE_MS: '0',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  const urls: Record<string, string> = {};
  const out: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((res, rej) => {
    lines.on('line', (line) => {
      out.push(line);
      const m = listening(line);
      if (m) urls[m.service] = m.url;
      if (expected.every((s) => urls[s])) res();
    });
    exited.then((code) =>
      rej(
        new Error(`video-server exited with ${code} before listening:\n${out.join('\n')}\n${err}`),
      ),
    );
  });
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(
      () =>
        rej(
          new Error(`video-server not listening after ${timeoutMs} ms:\n${out.join('\n')}\n${err}`),
        ),
      timeoutMs,
    );
  });

  let stopping: Promise<number | null> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (!opts.keepData && !opts.dataDir) await rm(dataDir, { recursive: true, force: true });
      return code;
    })();
    return stopping;
  };
  try {
    await Promise.race([ready, timeout]);
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const parse = (line: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const waitForLine = (pred: (l: Record<string, unknown>) => boolean, ms = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const test = (line: string) => {
        const o = parse(line);
        return o !== undefined && pred(o) ? o : undefined;
      };
      for (const line of out) {
        const hit = test(line);
        if (hit) return resolve(hit);
      }
      let timer: NodeJS.Timeout | undefined;
      const onLine = (line: string) => {
        const hit = test(line);
        if (!hit) return;
        clearTimeout(timer);
        lines.off('line', onLine);
        resolve(hit);
      };
      timer = setTimeout(() => {
        lines.off('line', onLine);
        reject(new Error(`no matching log line in ${ms} ms:\n${out.slice(-20).join('\n')}`));
      }, ms);
      lines.on('line', onLine);
    });
  const checkedStop = async () => {
    const code = await stop();
    const stray = strayOutput(out, err);
    if (stray.length > 0) {
      throw new Error(
        `video-server wrote other than JSON lines:\n${stray.join('\n').slice(0, 4000)}`,
      );
    }
    return code;
  };
  return {
    urls,
    dataDir,
    child,
    stderr: () => err,
    stdout: () => [...out],
    waitForLine,
    stop: checkedStop,
  };
}

/** `{"service":"web","url":"http://…","msg":"web listening on http://…"}` → service and url. */
function listening(line: string): { service: string; url: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const o = JSON.parse(line) as { service?: unknown; url?: unknown; msg?: unknown };
    const ok =
      typeof o.service === 'string' &&
      typeof o.url === 'string' &&
      o.msg === `${o.service} listening on ${o.url}`;
    return ok ? { service: o.service as string, url: o.url as string } : undefined;
  } catch {
    return undefined;
  }
}
