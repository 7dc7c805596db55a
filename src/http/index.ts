/**
 * The HTTP front (uWebSockets.js): the multi-thread host, the in-thread apps, the service map,
 * and the stream service. Shared helpers for service authors are in `./common/index.js`.
 */
export { type HttpApps, type HttpAppsOptions, startHttpApps } from './apps.js';
export * from './common/index.js';
export type { MountService, ServiceContext, TokenLimiter } from './context.js';
export {
  CLOSE_GRACE_MS,
  type HttpHost,
  type HttpHostOptions,
  LATE_ALIVE_MS,
  startHttpHost,
} from './host.js';
export { SERVICE_MODULES, type ServiceLoader } from './services.js';
export {
  createStreamHandlers,
  mountStream,
  registerStreamRoutes,
  type StreamHandlers,
  type StreamRouteOptions,
} from './stream/index.js';
