#!/usr/bin/env node
/** The `video-server` command (src/cli-run.ts). */
import { runCli } from './cli-run.js';

runCli(process.argv.slice(2)).then((code) => {
  if (code !== 0) process.exitCode = code;
});
