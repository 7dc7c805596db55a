/** tus 1.0 resumable uploads at /files/ (see server.ts). */
export { registerTusRoutes } from './routes.js';
export {
  createTusServer,
  defaultTusStore,
  TUS_PATH,
  type TusOptions,
  tusUploadStore,
} from './server.js';
