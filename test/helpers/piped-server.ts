/**
 * The real `video-server start` (src/cli.ts through tsx, as test/helpers/server.ts starts it) with
 * stdout and stderr on real pipes (FIFOs, what docker and containerd hand a container), each read
 * by its own `cat` process, or on unix stream sockets (what systemd connects to journald) read by
 * this process: the log shipper. A test kills a reader (writes get EPIPE), or stalls it (SIGSTOP,
 * a paused socket: the pipe fills, EAGAIN) and resumes it.
 *
 * What the server wrote is what the readers passed on. With `traceWrites` the server runs under
 * strace, which records every write(2) and writev(2) that failed, with its fd and errno, so a test
 * can count how often the server tried a dead or full log pipe without timing anything. (Not
 * /proc/<pid>/io's `syscw`: it counts every write-family call, and V8 posts its GC's tasks to a
 * thread's event loop with an eventfd write each, hundreds in one major GC's sweep, whenever the
 * GC happens to run.)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * One stream's reader: a `cat` of the FIFO into a file (so nothing downstream slows it), or, for
 * `stdio: 'socket'`, this process's end of a unix stream socket (systemd hands journald's so).
 */
export interface PipeReader {
  /** The whole lines the reader has passed on so far. */
  lines(): string[];
  /** The reader goes away (SIGKILL, or the socket closed): writes get EPIPE. Idempotent. */
  kill(): Promise<void>;
  /** The reader holds the stream open but reads nothing (SIGSTOP, or a paused socket). */
  stall(): void;
  resume(): void;
}

export interface PipedServer {
  readonly urls: Record<string, string>;
  readonly child: ChildProcess;
  readonly out: PipeReader;
  readonly err: PipeReader;
  /** With `traceWrites`: the process's write(2)/writev(2) calls on `fd` so far that failed with
   *  the errno `code` (EPIPE: the reader is gone; EAGAIN: the pipe is full), each as strace shows
   *  its arguments after the fd: the data's first 512 bytes, escaped, and the length. */
  failedWrites(fd: number, code: string): string[];
  /** Resident memory in KiB (/proc/<pid>/status `VmRSS`). */
  rssKiB(): number;
  /** Every stdout line parsed as JSON (lines that are not JSON are kept as `{ text }`). */
  json(): Record<string, unknown>[];
  /** SIGTERM (SIGCONT first: a stopped reader must not hold the exit up) and wait. Idempotent. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function fifoReader(path: string): Promise<{ reader: PipeReader; fd: number }> {
  execFileSync('mkfifo', [path]);
  const copy = openSync(`${path}.log`, 'w');
  const cat = spawn('cat', [path], { stdio: ['ignore', copy, 'inherit'] });
  closeSync(copy);
  // Opening a FIFO for writing waits for its reader: cat opens it as it starts.
  const fd = openSync(path, 'w');
  const lines = () => {
    const text = readFileSync(`${path}.log`, 'utf8');
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .slice(0, -1);
  };
  const exited = new Promise<void>((res) => cat.once('exit', () => res()));
  const signal = (s: NodeJS.Signals) => {
    if (cat.exitCode === null && cat.signalCode === null) cat.kill(s);
  };
  const reader: PipeReader = {
    lines,
    kill: () => {
      signal('SIGKILL');
      return exited;
    },
    stall: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
  };
  return { reader, fd };
}

/** A unix stream socket's two ends: the server's (`end`, for spawn) and the reader's. */
async function socketReader(path: string): Promise<{ reader: PipeReader; end: Socket }> {
  const listener = createServer();
  await new Promise<void>((res) => listener.listen(path, res));
  const accepted = new Promise<Socket>((res) => listener.once('connection', res));
  const end = connect(path);
  await new Promise<void>((res) => end.once('connect', res));
  const socket = await accepted;
  listener.close();
  let text = '';
  socket.setEncoding('utf8').on('data', (d: string) => {
    text += d;
  });
  const closed = new Promise<void>((res) => socket.once('close', () => res()));
  const reader: PipeReader = {
    lines: () =>
      text
        .slice(0, text.lastIndexOf('\n') + 1)
        .split('\n')
        .slice(0, -1),
    kill: () => {
      socket.destroy();
      return closed;
    },
    stall: () => void socket.pause(),
    resume: () => void socket.resume(),
  };
  return { reader, end };
}

export interface PipedServerOptions {
  /** What stdout and stderr are: FIFOs read by `cat` (docker), or unix sockets (journald). */
  stdio?: 'fifo' | 'socket';
  env?: Record<string, string>;
  /** Passed as `--only`. @default 'web,api,stream' (no scheduler rounds writing in the background) */
  only?: string;
  /** A module run (through tsx) instead of src/cli.ts with the same arguments: a fixture that
   *  calls runCli with its own start options (test/fixtures/). */
  cli?: string;
  /** Run the server under strace, recording its failed writes (`failedWrites`). strace runs as
   *  a grandchild (-D): the server keeps its pid and gets the test's signals itself. */
  traceWrites?: boolean;
}

/** strace's arguments for `traceWrites`: every thread (-f), write(2) and writev(2) only (the
 *  others run untraced: --seccomp-bpf), failed calls only (-Z), fds with what they are (-y). */
const STRACE = [
  '-D',
  '-f',
  '--seccomp-bpf',
  '-qq',
  '-Z',
  '-y',
  '-s',
  '512',
  '-e',
  'trace=write,writev',
];

function straceCommand(log: string, command: string[]): string[] {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('traceWrites needs strace on PATH (scripts/test-all.sh installs it)');
  }
  return ['strace', ...STRACE, '-e', 'signal=none', '-o', log, '--', ...command];
}

/**
 * The environment of a server process a log test starts: its data under `dir`, every service on
 * a port the kernel picks, info lines, no readiness grace at shutdown; then `env`.
 */
export function serverEnv(dir: string, env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATA_DIR: join(dir, 'data'),
    WEB_PORT: '0',
    API_PORT: '0',
    STREAM_PORT: '0',
    SCHEDULER_PORT: '0',
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: '0',
    ...env,
  };
}

export async function startPipedServer(opts: PipedServerOptions = {}): Promise<PipedServer> {
  const only = opts.only ?? 'web,api,stream';
  const dir = await mkdtemp(join(tmpdir(), 'vs-piped-'));
  const open = async (name: string) => {
    if (opts.stdio !== 'socket') return fifoReader(join(dir, name));
    const { reader, end } = await socketReader(join(dir, name));
    return { reader, fd: end };
  };
  const out = await open('stdout');
  const err = await open('stderr');
  const server = [process.execPath, '--import', 'tsx', opts.cli ?? join(ROOT, 'src/cli.ts')];
  const writesLog = join(dir, 'failed-writes.txt');
  const [command, ...args] = opts.traceWrites
    ? straceCommand(writesLog, [...server, 'start', '--only', only])
    : [...server, 'start', '--only', only];
  const child = spawn(command!, args, {
    cwd: ROOT,
    env: serverEnv(dir, {
      HTTP_THREADS: '1',
      LOG_FORMAT: 'json',
      METRICS_PORT: '0',
      ...opts.env,
    }),
    stdio: ['ignore', out.fd, err.fd],
  });
  // The child has its own copies; the readers must see end-of-file when the server exits.
  for (const { fd } of [out, err]) {
    if (typeof fd === 'number') closeSync(fd);
    else fd.destroy();
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      out.reader.resume();
      err.reader.resume();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const how = await exited;
      await out.reader.kill();
      await err.reader.kill();
      await rm(dir, { recursive: true, force: true });
      return how;
    })();
    return stopping;
  };
  const json = () =>
    out.reader.lines().map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { text: l };
      }
    });
  const urls: Record<string, string> = {};
  const services = only.split(',');
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not listening after 60 s')), 60_000);
      const check = setInterval(() => {
        for (const o of json()) {
          const { service, url, msg } = o as { service?: string; url?: string; msg?: string };
          if (service && url && msg === `${service} listening on ${url}`) urls[service] = url;
        }
        if (services.every((s) => urls[s])) {
          clearTimeout(timer);
          clearInterval(check);
          resolve();
        }
      }, 50);
      void exited.then((how) => {
        clearTimeout(timer);
        clearInterval(check);
        reject(new Error(`server exited (${JSON.stringify(how)}) before listening`));
      });
    });
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${err.reader.lines().join('\n')}`);
  }
  const proc = (file: string) => readFileSync(`/proc/${child.pid}/${file}`, 'utf8');
  return {
    urls,
    child,
    out: out.reader,
    err: err.reader,
    failedWrites: (fd, code) => {
      if (!opts.traceWrites)
        throw new Error('failedWrites needs the server started with traceWrites');
      if (!existsSync(writesLog)) return [];
      // e.g. `1234  write(1</tmp/vs-piped-x/stdout>, "{...}\n{...", 3402) = -1 EPIPE (Broken pipe)`
      const call = new RegExp(`^\\d+ +writev?\\(${fd}<[^>]*>, (.*)\\) += -1 ${code} `);
      return readFileSync(writesLog, 'utf8')
        .split('\n')
        .flatMap((l) => call.exec(l)?.[1] ?? []);
    },
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(proc('status'))![1]),
    json,
    stop,
  };
}
