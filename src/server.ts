/** Composition root: starts the services named in `config.only`. */
import type { Config } from './config.js';

export async function startServer(config: Config): Promise<void> {
  throw new Error(
    `the services (${config.only.join(', ')}) are not built yet: see the open issues`,
  );
}
