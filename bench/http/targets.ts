/**
 * The four servers the HTTP benchmark compares, each started on a free loopback port with one
 * serving thread: our uWS stream service (limiter on / off), the same handler on node:http, Go
 * net/http + http.ServeContent (bench/go/stream), and nginx serving the same directory.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join, resolve } from 'node:path';
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

export async function nginxTarget(videos: string, tmp: string): Promise<Target> {
  const dir = join(tmp, 'nginx');
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
  access_log off;
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
    name: 'nginx',
    url: `http://127.0.0.1:${port}`,
    cpu: () => processTreeCpu(child.pid!),
    stop: async () => {
      child.kill('SIGQUIT');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
