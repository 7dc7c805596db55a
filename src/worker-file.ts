/**
 * Where a worker thread's entry file is, and how to start it.
 *
 * Worker threads cannot load `.ts` by themselves (vitest and tsx transform only the thread that
 * imported them). The project's rule, used everywhere a Worker or a piscina pool is created:
 *
 * - running from `dist/` (npm start, benchmarks on the build): the entry is the sibling `.js`
 *   file and the worker starts with no loader;
 * - running from sources (vitest, `tsx`): the entry is the sibling `.ts` file and the worker
 *   registers tsx's ESM loader explicitly through `execArgv`. (`--import tsx` alone does nothing
 *   in a worker on Node 20: tsx's default entry registers its hooks only on the main thread, so
 *   we import a one-line `data:` module that calls tsx's `register()` inside the worker.)
 *
 * The choice follows the extension of the calling module's own URL, so one call site serves both.
 */
import { createRequire } from 'node:module';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerFile {
  /** Absolute file URL of the entry module. */
  readonly url: URL;
  /** The same as a filesystem path (piscina's `filename` wants either). */
  readonly path: string;
  /** `execArgv` to start the worker with: tsx's loader from sources, nothing from `dist/`. */
  readonly execArgv: string[];
}

let tsxLoader: string | undefined;

function tsxLoaderUrl(): string {
  if (tsxLoader === undefined) {
    // Resolved absolutely so the worker does not depend on its working directory.
    // require.resolve would pick the CommonJS build; read the ESM one from tsx's exports map.
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('tsx/package.json');
    const pkg = require(pkgPath) as { exports: Record<string, { import: { default: string } }> };
    const api = pathToFileURL(
      resolvePath(dirname(pkgPath), pkg.exports['./esm/api']!.import.default),
    ).href;
    const source = `import { register } from ${JSON.stringify(api)}; register();`;
    tsxLoader = `data:text/javascript,${encodeURIComponent(source)}`;
  }
  return tsxLoader;
}

/**
 * @param base the caller's `import.meta.url`
 * @param relative the entry's path relative to the caller, without extension (`./limiter.worker`)
 */
export function workerFile(base: string | URL, relative: string): WorkerFile {
  const from = typeof base === 'string' ? base : base.href;
  const fromSources = from.endsWith('.ts') || from.endsWith('.mts');
  const url = new URL(`${relative}${fromSources ? '.ts' : '.js'}`, from);
  return {
    url,
    path: fileURLToPath(url),
    execArgv: fromSources ? ['--import', tsxLoaderUrl()] : [],
  };
}
