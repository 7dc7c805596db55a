/**
 * Which module mounts each service. The host loads only the services this process runs, lazily,
 * so `--only stream` never imports the web's templates. A service enabled in `config.only`
 * without an entry here is a start-up error (ServiceMissingError) naming it.
 */
import type { ServiceName } from '../config.js';
import type { MountService } from './context.js';

export type ServiceLoader = () => Promise<MountService>;

export const SERVICE_MODULES: Readonly<Partial<Record<ServiceName, ServiceLoader>>> = Object.freeze(
  {
    stream: async () => (await import('./stream/index.js')).mountStream,
    api: async () => (await import('./api/index.js')).mountApi,
    web: async () => (await import('./web/index.js')).mountWeb,
    scheduler: async () => (await import('./scheduler/index.js')).mountScheduler,
  },
);
