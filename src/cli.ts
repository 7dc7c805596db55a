#!/usr/bin/env node
/** The `video-server` command. */
import { ConfigError, checkDataDir, describeSettings, loadConfig } from './config.js';
import { createLogger } from './log.js';

const log = createLogger('cli');
/**
 * `<service> listening on <url>` is what scripts wait for: it is logged at info whatever LOG_LEVEL
 * says, as JSON with `service` and `url` fields (test/helpers/server.ts parses it).
 */
const announce = createLogger('cli', 'info');

const USAGE = `usage: video-server start [--only web,api,stream,scheduler] [options]

options (flag, env):
${describeSettings()}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'start') {
    console.error(`video-server: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  const config = loadConfig(process.env, rest);
  await checkDataDir(config);
  const { startServer } = await import('./server.js');
  const server = await startServer(config, {
    onListening: (service, url) =>
      announce.info(`${service} listening on ${url}`, { service, url }),
  });
  const stop = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info('shutting down', { signal });
      server.close().then(
        () => resolve(0),
        (err: unknown) => {
          log.error('shutdown failed', { err });
          resolve(1);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const failed = server.failed.then((err) => {
    log.error('a service kept crashing, exiting', { err });
    return 1;
  });
  return Promise.race([stop, failed]);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError)
      log.error(`configuration error: ${err.message}`, { setting: err.setting });
    else log.error('failed to start', { err });
    process.exitCode = 1;
  },
);
