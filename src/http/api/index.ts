/** The api service: users, sessions, videos, comments (JSON). */
export { handleApi, MAX_JSON_BYTES } from './handle.js';
export { mountApi, sendApiResponse } from './mount.js';
export { displayCtime } from './present.js';
export { API_METHODS, type ApiMethod, matchRoute, type RouteMatch } from './router.js';
export { API_ROUTES } from './routes.js';
export type { ApiRequest, ApiResponse } from './types.js';
