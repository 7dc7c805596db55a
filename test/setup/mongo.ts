/**
 * vitest globalSetup: gives every test file a MongoDB URI through `inject('mongoUri')`.
 *
 * - tools/mongo-dev (FerretDB) is built if needed and started on a free port with a temp dir,
 *   and stopped at teardown: `inject('mongoDevUri')`.
 * - `mongoUri` is MONGODB_URI when set (`mongoUriExplicit` true; the store conformance suite
 *   then also runs against it by name), else the dev server.
 * - If the dev server cannot start: with CI=true the whole run fails here (throw). Without CI
 *   the run goes on for tests that do not need MongoDB, and `mongoTestUri()`
 *   (test/helpers/mongo.ts) throws the reason in every test that does: they fail, never skip.
 */
import type { TestProject } from 'vitest/node';
import { startDevMongo } from './mongo-dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URI of the test MongoDB: MONGODB_URI, else the dev server ('' when unavailable). */
    mongoUri: string;
    /** True when `mongoUri` came from MONGODB_URI. */
    mongoUriExplicit: boolean;
    /** Base URI of the dev server (FerretDB) ('' when unavailable). */
    mongoDevUri: string;
    /** Why the dev server is unavailable ('' when it is running). */
    mongoUnavailable: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const explicit = process.env.MONGODB_URI ?? '';
  project.provide('mongoUriExplicit', explicit !== '');
  try {
    const server = await startDevMongo();
    project.provide('mongoDevUri', server.uri);
    project.provide('mongoUri', explicit || server.uri);
    project.provide('mongoUnavailable', '');
    return () => server.stop();
  } catch (e) {
    const why = `dev MongoDB (tools/mongo-dev) unavailable; it needs Go >= 1.22 and the module proxy (or set MONGODB_URI): ${(e as Error).message}`;
    if (process.env.CI === 'true') throw new Error(why);
    process.stderr.write(`\n[mongo setup] ${why}\n`);
    project.provide('mongoDevUri', '');
    project.provide('mongoUri', explicit);
    project.provide('mongoUnavailable', why);
    return async () => {};
  }
}
