/**
 * One thread's uWS apps: one App per service on that service's port, its routes, the catch-all
 * 404, and a graceful close. Used by each HTTP worker thread, and directly in-process by tests.
 *
 * Close order: stop listening on every app (new connections go to other threads or are refused),
 * wait until in-flight requests counted by `inflightOf(app)` end or the deadline passes, then
 * `app.close()` drops whatever is left (idle keep-alive connections, laggards).
 */
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { ServiceName } from '../config.js';
import { createLogger } from '../log.js';
import { ListenError, ServiceMissingError } from './common/errors.js';
import { guardApp } from './common/guard.js';
import { type Heartbeats, mountHealth } from './common/health.js';
import { inflightOf } from './common/inflight.js';
import { mountNotFound } from './common/not-found.js';
import { observeApp } from './common/observe.js';
import { closeApp, loadUws } from './common/uws.js';
import type { ServiceContext } from './context.js';
import { SERVICE_MODULES, type ServiceLoader } from './services.js';

export interface HttpAppsOptions {
  host: string;
  /** Port per service; 0 = any free port (the bound one is reported back). */
  ports: Partial<Record<ServiceName, number>>;
  /** Service modules. @default SERVICE_MODULES */
  modules?: Readonly<Partial<Record<ServiceName, ServiceLoader>>>;
  /** The process's heartbeat board, for `/health/live`. @default none (this thread only) */
  heartbeats?: Heartbeats;
}

export interface HttpApps {
  /** The bound port of each service. */
  readonly ports: Partial<Record<ServiceName, number>>;
  /** In-flight requests over all apps (for tests and metrics). */
  inflight(): number;
  /** Readiness turns 503 (`/health/ready`); the apps keep serving until close(). */
  drain(): void;
  /** Stops listening, waits for in-flight requests up to `deadlineMs`, closes the apps. */
  close(deadlineMs?: number): Promise<void>;
  /**
   * Closes every listen socket and connection now, synchronously: for a thread that is about to
   * exit (a uWS handle left open at thread exit aborts the whole process in `uv_loop_close`).
   */
  closeNow(): void;
}

interface Running {
  service: ServiceName;
  app: TemplatedApp;
  socket: us_listen_socket | undefined;
}

function listenOnce(app: TemplatedApp, host: string, port: number): us_listen_socket | false {
  let socket: us_listen_socket | false = false;
  app.listen(host, port, (s) => {
    socket = s;
  });
  return socket;
}

/**
 * Listens so that other threads can bind the same port afterwards (SO_REUSEPORT). uWS sets
 * SO_REUSEPORT on Linux, but a socket the kernel auto-bound (port 0) cannot be joined by others.
 * So for port 0 we learn a free port from an auto-bind, release it and bind it explicitly at
 * once; another process could take it in that instant, hence a few attempts.
 */
function listen(app: TemplatedApp, host: string, port: number): us_listen_socket | false {
  const uws = loadUws();
  if (port !== 0) return listenOnce(app, host, port);
  for (let attempt = 0; attempt < 5; attempt++) {
    const probe = listenOnce(app, host, 0);
    if (!probe) return false;
    const free = uws.us_socket_local_port(probe as never);
    uws.us_listen_socket_close(probe);
    const socket = listenOnce(app, host, free);
    if (socket) return socket;
  }
  return false;
}

export async function startHttpApps(
  ctx: ServiceContext,
  services: readonly ServiceName[],
  options: HttpAppsOptions,
): Promise<HttpApps> {
  const uws = loadUws();
  const modules = options.modules ?? SERVICE_MODULES;
  const mounts = await Promise.all(
    services.map(async (service) => {
      const load = modules[service];
      if (!load) throw new ServiceMissingError(service);
      return { service, mount: await load() };
    }),
  );
  const running: Running[] = [];
  let draining = false;
  // High volume: batched writes of whole lines (src/log-buffer.ts), not one write per request.
  const accessLog = createLogger('access', undefined, { buffered: true });
  const ports: Partial<Record<ServiceName, number>> = {};
  const closeAll = () => {
    for (const r of running) {
      if (r.socket) uws.us_listen_socket_close(r.socket);
      closeApp(r.app);
    }
  };
  try {
    for (const { service, mount } of mounts) {
      // Every handler runs guarded: a throw answers its request 500 instead of killing the thread.
      const raw = uws.App();
      const app = guardApp(raw, ctx.log);
      const r: Running = { service, app, socket: undefined };
      running.push(r);
      // Health first and unobserved (probes stay out of the access log and request metrics);
      // then every later route is observed (the guard's record carries its id and observation).
      mountHealth(app, ctx, { service, heartbeats: options.heartbeats, draining: () => draining });
      observeApp(app, {
        service,
        accessLog: ctx.config.accessLog,
        metrics: ctx.config.metricsPort !== 0,
        log: accessLog,
      });
      await mount(app, ctx);
      mountNotFound(app);
      const wanted = options.ports[service] ?? 0;
      const socket = listen(app, options.host, wanted);
      if (!socket) throw new ListenError(service, options.host, wanted);
      r.socket = socket;
      ports[service] = uws.us_socket_local_port(socket as never);
    }
  } catch (err) {
    closeAll();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    ports,
    inflight: () => running.reduce((n, r) => n + inflightOf(r.app).count, 0),
    drain() {
      draining = true;
    },
    close(deadlineMs = 10_000) {
      closing ??= (async () => {
        draining = true;
        for (const r of running) {
          if (r.socket) uws.us_listen_socket_close(r.socket);
          r.socket = undefined;
        }
        await Promise.all(running.map((r) => inflightOf(r.app).whenIdle(deadlineMs)));
        for (const r of running.splice(0)) closeApp(r.app);
      })();
      return closing;
    },
    closeNow() {
      closeAll();
      running.length = 0; // idempotent, and close() has nothing left to close
    },
  };
}
