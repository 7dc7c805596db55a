/**
 * The servers the HTTP benchmark compares, each started on a free loopback port with one serving
 * thread: our stream service as the real server process (`video-server start --only stream`),
 * the same service in this process (the profile and blob-store benches), the same handler on
 * node:http, Go net/http + http.ServeContent (bench/go/stream), and nginx serving the same
 * directory.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Config } from '../../src/config.js';
import { startHttpHost } from '../../src/http/host.js';
import { workerFile } from '../../src/worker-file.js';
import { ownCpu, processTreeCpu } from './cpu.js';

const run = promisify(execFile);

export interface Target {
  name: string;
  url: string;
  /** Cumulative CPU seconds of the process serving this target (see cpu.ts). */
  cpu(): number;
  /** The serving process, when it is a child process (Go, nginx's master). */
  pid?: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listening on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** `npm run build`, once per benchmark process. */
let built: Promise<unknown> | undefined;

export interface ServerProcess extends Target {
  child: ChildProcess;
  /** Where its stdout (the JSON log) goes (empty when stdout is a pipe). */
  logFile: string;
}

/**
 * The real server (`video-server start --only stream`, one HTTP thread) as its own process on
 * `dataDir`, stdout to a file as a log shipper would read it. Its CPU is the whole process tree
 * (every thread: the HTTP thread, the supervisor, V8's helpers), read from /proc like Go's and
 * nginx's — so no other part of the benchmark is counted against it.
 *
 * It runs the compiled `dist/cli.js`, as `npm start` does, built once per benchmark run from the
 * current source: measured through tsx, the serving thread would also carry the loader's hooks.
 */
export async function serverProcess(
  name: string,
  tmp: string,
  dataDir: string,
  env: Record<string, string>,
  /**
   * Where its stdout goes: a file, or a pipe (a FIFO) this process reads and discards (as docker
   * and Kubernetes hand stdout to their log shipper). @default 'file'
   */
  stdout: 'file' | 'pipe' = 'file',
): Promise<ServerProcess> {
  await (built ??= run('npm', ['run', '-s', 'build'], { cwd: ROOT }));
  const logFile = join(tmp, `${name.replace(/\W+/g, '-')}.log`);
  const pipe = stdout === 'pipe' ? await fifo(`${logFile}.fifo`) : undefined;
  const out = pipe ? undefined : await open(logFile, 'w');
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'start', '--only', 'stream'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, STREAM_PORT: '0', HTTP_THREADS: '1', ...env },
    stdio: ['ignore', pipe?.writeFd ?? out!.fd, 'inherit'],
  });
  if (pipe) closeSync(pipe.writeFd);
  await out?.close();
  // From a pipe: the start-up lines are kept until the url is read, then everything is dropped.
  let piped = '';
  const onData = (b: Buffer) => {
    piped += b.toString();
  };
  pipe?.reader.on('data', onData);
  const until = Date.now() + 60_000;
  for (;;) {
    const text = stdout === 'pipe' ? piped : await readFile(logFile, 'utf8');
    const m = /"service":"stream","url":"([^"]+)"/.exec(text);
    const stop = () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      });
    if (m) {
      pipe?.reader.off('data', onData).resume();
      return { name, url: m[1]!, child, logFile, cpu: () => processTreeCpu(child.pid!), stop };
    }
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${text}`);
    if (Date.now() > until) throw new Error(`${name} did not start:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A FIFO (what docker and containerd hand a container as stdout; Node's `stdio: 'pipe'` would be a
 * unix socket pair) whose read end this process reads: the write end is for the child's stdout.
 */
async function fifo(path: string): Promise<{ writeFd: number; reader: net.Socket }> {
  await rm(path, { force: true }); // a previous run's server of the same name made it
  await run('mkfifo', [path]);
  // Opening the read end first, without waiting for a writer, lets the write end open at once.
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, 'w');
  return { writeFd, reader: new net.Socket({ fd: readFd, readable: true, writable: false }) };
}

export async function uwsTarget(
  name: string,
  config: Config,
  limiterShared: SharedArrayBuffer | undefined,
): Promise<Target> {
  const host = await startHttpHost(
    { ...config, only: ['stream'], httpThreads: 1, ports: { ...config.ports, stream: 0 } },
    limiterShared ? { limiterShared } : {},
  );
  return { name, url: host.urls.stream!, cpu: ownCpu, stop: () => host.close(1000) };
}

export async function nodeTarget(
  config: Config,
  limiterShared: SharedArrayBuffer | undefined,
): Promise<Target> {
  const entry = workerFile(import.meta.url, './node-server.worker');
  const worker = new Worker(entry.url, {
    execArgv: entry.execArgv,
    workerData: { config, limiterShared },
  });
  const port = await new Promise<number>((ok, fail) => {
    worker.once('message', (m: { port: number }) => ok(m.port));
    worker.once('error', fail);
  });
  return {
    name: 'node:http',
    url: `http://127.0.0.1:${port}`,
    cpu: ownCpu,
    stop: async () => {
      worker.postMessage('close');
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

export async function goTarget(videos: string, tmp: string): Promise<Target> {
  const bin = join(tmp, 'go-stream');
  await run('go', ['build', '-o', bin, './stream'], { cwd: resolve('bench/go') });
  const port = await freePort();
  const child = spawn(bin, ['-dir', videos, '-addr', `127.0.0.1:${port}`], {
    env: { ...process.env, GOMAXPROCS: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port);
  return {
    name: 'Go net/http',
    url: `http://127.0.0.1:${port}`,
    cpu: () => processTreeCpu(child.pid!),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * nginx serving `videos` with one worker. `accessLog`: a file for a JSON access line per request,
 * batched like ours (buffer=64k, flush=100ms) — the ops bench compares nginx's own logging cost.
 *
 * `log_not_found off`: stock nginx writes an error-log line (one unbuffered write) for every
 * request of a missing file, which more than halved its 404 rate here; our server logs no error
 * for a 404, so the 404 row compares like with like only without it (bench/results/http.md).
 */
export async function nginxTarget(
  videos: string,
  tmp: string,
  accessLog?: string,
): Promise<Target> {
  const dir = join(tmp, accessLog ? 'nginx-logged' : 'nginx');
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(dir, t)};`)
    .join('\n');
  const conf = `${asRoot ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  ${
    accessLog
      ? `log_format vs escape=json '{"level":30,"time":"$time_iso8601","pid":$pid,"scope":"access","reqId":"$request_id","service":"stream","method":"$request_method","uri":"$uri","status":$status,"bytes":$bytes_sent,"s":$request_time,"user":null,"msg":"request"}';
  access_log ${accessLog} vs buffer=64k flush=100ms;`
      : 'access_log off;'
  }
  log_not_found off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
${temp}
  types { }
  default_type video/mp4;
  server {
    listen 127.0.0.1:${port};
    location /videos/ { alias ${videos}/; }
  }
}
`;
  const file = join(dir, 'nginx.conf');
  await writeFile(file, conf);
  const child = spawn('nginx', ['-p', dir, '-c', file, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port);
  return {
    name: accessLog ? 'nginx logged' : 'nginx',
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    cpu: () => processTreeCpu(child.pid!),
    stop: async () => {
      child.kill('SIGQUIT');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
