/**
 * The HTTP host: `config.httpThreads` worker threads, each running a uWS App per enabled service
 * on the same ports (SO_REUSEPORT: the kernel spreads connections over the threads).
 *
 * Port 0: thread 0 starts first and binds any free port; the other threads then bind the ports it
 * reported. A thread that dies after start-up emits 'crash' (a ThreadCrashError) on the host —
 * the supervisor decides what to do; close() still works on the survivors.
 *
 * Lifecycle: `close()` is idempotent (later callers get the same promise); each thread stops
 * listening, lets in-flight requests finish within the deadline, closes its apps and stores.
 * Threads that do not report back within deadline + CLOSE_GRACE_MS are terminated.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Config, ServiceName } from '../config.js';
import { workerFile } from '../worker-file.js';
import { HttpFrontError, ServiceMissingError, ThreadCrashError } from './common/errors.js';
import type { HostMessage, HttpThreadData } from './host.worker.js';
import { SERVICE_MODULES } from './services.js';

export interface HttpHostOptions {
  /** The limiter actor's buffer; absent = no limit (benchmarks' "limiter off"). */
  limiterShared?: SharedArrayBuffer;
}

export const CLOSE_GRACE_MS = 2_000;

export interface HttpHost extends EventEmitter {
  readonly urls: Partial<Record<ServiceName, string>>;
  close(deadlineMs?: number): Promise<void>;
}

interface Thread {
  index: number;
  worker: Worker;
  exited: Promise<number>;
  closing: boolean;
}

function hostForUrl(host: string): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return h.includes(':') ? `[${h}]` : h;
}

function spawn(index: number, data: HttpThreadData, host: EventEmitter): Promise<Thread> {
  const entry = workerFile(import.meta.url, './host.worker');
  const worker = new Worker(entry.url, { execArgv: entry.execArgv, workerData: data });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const thread: Thread = { index, worker, exited, closing: false };
  return new Promise((resolve, reject) => {
    let ready = false;
    worker.on('message', (m: HostMessage) => {
      if (m.type === 'ready') {
        ready = true;
        data.ports = m.ports;
        resolve(thread);
      } else if (m.type === 'failed') reject(new HttpFrontError(m.code, m.message));
    });
    worker.on('error', (err) => {
      if (!ready) reject(err);
      else host.emit('crash', new ThreadCrashError(index, err.message));
    });
    worker.on('exit', (code) => {
      if (!ready) reject(new ThreadCrashError(index, `exited with code ${code} while starting`));
      else if (!thread.closing)
        host.emit('crash', new ThreadCrashError(index, `exited with code ${code}`));
    });
  });
}

async function closeThread(t: Thread, deadlineMs: number): Promise<void> {
  t.closing = true;
  t.worker.postMessage({ type: 'close', deadlineMs });
  const timer = setTimeout(() => void t.worker.terminate(), deadlineMs + CLOSE_GRACE_MS);
  await t.exited;
  clearTimeout(timer);
}

export async function startHttpHost(config: Config, opts: HttpHostOptions = {}): Promise<HttpHost> {
  const services = [...config.only];
  for (const s of services) if (!SERVICE_MODULES[s]) throw new ServiceMissingError(s);
  const emitter = new EventEmitter();
  const base: HttpThreadData = {
    index: 0,
    config,
    services,
    ports: Object.fromEntries(services.map((s) => [s, config.ports[s]])),
    limiterShared: opts.limiterShared,
  };
  const threads: Thread[] = [];
  try {
    threads.push(await spawn(0, base, emitter));
    const rest = Array.from({ length: config.httpThreads - 1 }, (_, i) =>
      spawn(i + 1, { ...base, index: i + 1, ports: { ...base.ports } }, emitter),
    );
    const settled = await Promise.allSettled(rest);
    for (const s of settled) if (s.status === 'fulfilled') threads.push(s.value);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (err) {
    await Promise.all(threads.map((t) => closeThread(t, 0)));
    throw err;
  }
  const urls: Partial<Record<ServiceName, string>> = {};
  for (const s of services) urls[s] = `http://${hostForUrl(config.host)}:${base.ports[s]}`;
  let closing: Promise<void> | undefined;
  return Object.assign(emitter, {
    urls,
    close(deadlineMs = 10_000) {
      closing ??= Promise.all(threads.map((t) => closeThread(t, deadlineMs))).then(() => {});
      return closing;
    },
  });
}
