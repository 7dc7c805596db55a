#!/usr/bin/env node
/** The `video-server` command. */
import { ConfigError, describeSettings, loadConfig } from './config.js';

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
  const { startServer } = await import('./server.js');
  const server = await startServer(config, {
    onListening: (service, url) => console.log(`${service} listening on ${url}`),
  });
  const stop = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      console.error(`video-server: ${signal}, shutting down`);
      server.close().then(
        () => resolve(0),
        (err: unknown) => {
          console.error('video-server: shutdown failed:', err);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const failed = server.failed.then((err) => {
    console.error('video-server: a service kept crashing, exiting:', err);
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
      console.error(`video-server: configuration error: ${err.message}`);
    else console.error('video-server: failed to start:', err);
    process.exitCode = 1;
  },
);
