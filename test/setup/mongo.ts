/**
 * vitest globalSetup: gives every test file a MongoDB URI through `inject('mongoUri')`.
 *
 * - `MONGODB_URI` set → that server is used (and `mongoUriExplicit` is true, so the store
 *   conformance suite also runs against it by name).
 * - unset → tools/mongo-dev is built if needed and started on a free port with a temp dir;
 *   stopped at teardown.
 * - If it cannot start: with CI=true the whole run fails here (throw). Without CI the run goes
 *   on for tests that do not need MongoDB, and `mongoTestUri()` (test/helpers/mongo.ts) throws
 *   the reason in every test that does: they fail, never skip.
 */
import type { TestProject } from 'vitest/node';
import { startDevMongo } from './mongo-dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URI of the test MongoDB ('' when unavailable; see mongoUnavailable). */
    mongoUri: string;
    /** True when the URI came from MONGODB_URI rather than the dev server. */
    mongoUriExplicit: boolean;
    /** Why no MongoDB is available ('' when it is). */
    mongoUnavailable: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const explicit = process.env.MONGODB_URI;
  if (explicit) {
    project.provide('mongoUri', explicit);
    project.provide('mongoUriExplicit', true);
    project.provide('mongoUnavailable', '');
    return;
  }
  try {
    const server = await startDevMongo();
    project.provide('mongoUri', server.uri);
    project.provide('mongoUriExplicit', false);
    project.provide('mongoUnavailable', '');
    return () => server.stop();
  } catch (e) {
    const why = `test MongoDB unavailable (set MONGODB_URI or install Go to build tools/mongo-dev): ${(e as Error).message}`;
    if (process.env.CI === 'true') throw new Error(why);
    process.stderr.write(`\n[mongo setup] ${why}\n`);
    project.provide('mongoUri', '');
    project.provide('mongoUriExplicit', false);
    project.provide('mongoUnavailable', why);
  }
}
