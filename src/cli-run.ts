/**
 * The `video-server` command's body: parse, start, wait for a signal or for a supervisor that
 * gave up (exit 1), or for the shutdown after an uncaught exception (exit 1, or SIGKILL past
 * FATAL_SHUTDOWN_MS). `startOptions` are startServer's options (tests pass a scheduler fixture or
 * the main thread's stores through them, as a real parameter); cli.ts calls this with none.
 */
import {
  ConfigError,
  checkDataDir,
  defaultConfig,
  describeSettings,
  loadConfig,
} from './config.js';
import { createLogger } from './log.js';
import { captureOutput } from './log-capture.js';
import type { StartOptions } from './server.js';

export type RunOptions = Omit<StartOptions, 'onListening'>;

const log = createLogger('cli');
/**
 * `<service> listening on <url>` is what scripts wait for: it is logged at info whatever LOG_LEVEL
 * says, as JSON with `service` and `url` fields (test/helpers/server.ts parses it).
 */
const announce = createLogger('cli', 'info');

const USAGE = `usage: video-server start [--only web,api,stream,scheduler] [options]

options (flag, env):
${describeSettings()}`;

async function main(argv: string[], startOptions: RunOptions): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'start') {
    console.error(`video-server: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  captureOutput(); // from here on the process writes JSON lines only (log-capture.ts)
  let leftRunning = () => 0; // the server's, once it is up
  let fatalMs = defaultConfig().fatalShutdownMs; // FATAL_SHUTDOWN_MS, once it is read
  const crashed = closeOnUncaught(
    () => leftRunning(),
    () => fatalMs,
  );
  const config = loadConfig(process.env, rest);
  fatalMs = config.fatalShutdownMs;
  await checkDataDir(config);
  // Listen for the signal before starting: a SIGTERM sent right after the `listening` lines (a
  // script that starts and stops us) must shut down gracefully, not hit Node's default exit.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const { startServer } = await import('./server.js');
  const server = await startServer(config, {
    ...startOptions,
    onListening: (service, url) =>
      announce.info(`${service} listening on ${url}`, { service, url }),
  });
  leftRunning = () => server.leftRunning();
  /** The graceful shutdown, then `code` (1 if the shutdown itself failed). */
  const closeWith = (code: number) =>
    server.close().then(
      () => code,
      (err: unknown) => {
        log.error('shutdown failed', { err });
        return 1;
      },
    );
  const stop = signalled.then((signal) => {
    log.info('shutting down', { signal });
    return closeWith(0);
  });
  const failed = server.failed.then((err) => {
    if ((err as { code?: string })?.code === 'ERR_HTTP_THREAD_WEDGED')
      log.error('an HTTP thread is wedged, exiting', { err });
    else log.error('a service kept crashing, exiting', { err });
    return 1;
  });
  const fatal = crashed.then(() => closeWith(1));
  const code = await Promise.race([stop, failed, fatal]);
  const left = server.leftRunning();
  if (left > 0) killSelf(left, code);
  return code;
}

/**
 * An uncaught exception in the main thread ends the process with exit code 1, as Node's default
 * would (the supervision tree owns real crashes; the service manager restarts), but by the
 * graceful shutdown, and said in an error line. Node's own exit would print text on stderr and,
 * with HTTP threads still holding uWS handles, abort (SIGABRT and a core dump; see killSelf).
 * The returned promise resolves at the first one (one while starting: the shutdown follows the
 * start); the next ones are only logged. From the first, the process has `fatalMs()`
 * (FATAL_SHUTDOWN_MS) to end before SIGKILL ends it, in case the exception left the start or the
 * shutdown broken, and exits 1 if its event loop empties first (test/ops/uncaught-hang.test.ts).
 */
function closeOnUncaught(leftRunning: () => number, fatalMs: () => number): Promise<void> {
  return new Promise((resolve) => {
    let first = true;
    process.on('uncaughtException', (err, origin) => {
      log.error(first ? 'uncaught exception: shutting down, then exit 1' : 'uncaught exception', {
        err,
        origin,
      });
      if (!first) return;
      first = false;
      // The exit code whatever ends the process: a shutdown stuck on a promise that holds no
      // handle lets the event loop empty before main() returns, and Node would then exit 0.
      process.exitCode = 1;
      const ms = fatalMs();
      setTimeout(() => {
        log.error('the shutdown after an uncaught exception did not end in time', { ms });
        killSelf(leftRunning(), 1);
      }, ms).unref();
      resolve();
    });
  });
}

/**
 * Ends the process at once when the shutdown had to abandon HTTP threads (wedged: they never read
 * their close command), or did not end in time after an uncaught exception (then there may be
 * none: the line says which). Node's normal exit (process.exit, reallyExit, an empty event loop) tears
 * every thread down first, and tearing down a thread that still holds uWS handles fails Node's
 * "no open handles" check: SIGABRT and a core dump. SIGKILL skips the teardown, writes no core,
 * and cannot be caught; the log lines before it are written synchronously (src/log.ts). The
 * service manager sees the process killed by signal 9 — a failure: systemd's Restart=on-failure
 * restarts it (deploy/video-server.service), a shell reports 137.
 */
function killSelf(threads: number, code: number): never {
  const why = threads > 0 ? 'HTTP threads left running: ' : '';
  log.error(`${why}ending the process with SIGKILL`, { threads, code });
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not end the process');
}

/**
 * The main thread's last line of defence (issue 10): no I/O error may end the process. lmdb-js
 * rejects a promise of its own that nobody can await when a commit fails (disk full): by default
 * Node exits on it. Each operation's own promise is rejected too and its caller handles that (the
 * scheduler ends its round with an error), so the extra rejection is logged and dropped. Uncaught
 * exceptions keep Node's default (exit): the supervision tree owns real crashes.
 */
function containRejections(): void {
  if (process.listenerCount('unhandledRejection') > 0) return;
  process.on('unhandledRejection', (err) => {
    log.error(
      'unhandled rejection (contained; the operation that caused it reported its own error)',
      { err },
    );
  });
}

/** Runs the command; resolves with the process exit code (never rejects). */
export function runCli(argv: string[], startOptions: RunOptions = {}): Promise<number> {
  containRejections();
  return main(argv, startOptions).then(
    (code) => code,
    (err: unknown) => {
      if (err instanceof ConfigError)
        log.error(`configuration error: ${err.message}`, { setting: err.setting });
      else log.error('failed to start', { err });
      return 1;
    },
  );
}
