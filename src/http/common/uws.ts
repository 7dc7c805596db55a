/**
 * Loads the native uWebSockets.js addon directly.
 *
 * The package's own entry (`src/uws.js`) silently falls back to a pure-Node shim when the addon
 * does not load on this Node ABI; that shim is an order of magnitude slower and lacks parts of the
 * API. We require the binary ourselves and fail start-up with a clear error instead.
 */

import type * as Uws from 'uWebSockets.js';
import type { TemplatedApp } from 'uWebSockets.js';
import { createRequire } from 'node:module';
import { UwsNativeError } from './errors.js';

export type UwsModule = typeof Uws;

let loaded: UwsModule | undefined;

/** The binary this platform needs, relative to the package root. */
export function uwsBinaryName(): string {
  return `binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

/** The native addon; throws UwsNativeError (ERR_UWS_NATIVE) when it cannot be loaded. */
export function loadUws(): UwsModule {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const binary = uwsBinaryName();
  try {
    loaded = require(`uWebSockets.js/${binary}`) as UwsModule;
  } catch (err) {
    throw new UwsNativeError(binary, err);
  }
  if (typeof loaded.App !== 'function') {
    loaded = undefined;
    throw new UwsNativeError(binary, new Error('the addon has no App()'));
  }
  return loaded;
}

/**
 * Closes every socket of `app` (listen sockets and open connections). The native addon has had
 * `App.close()` since v20.26 but this package's typings do not declare it.
 */
export function closeApp(app: TemplatedApp): void {
  (app as TemplatedApp & { close(): void }).close();
}
