/** Shared helpers of the HTTP front, for every service (stream, api, web, scheduler). */
export { parseJson, READ_BODY_DEFAULTS, type ReadBodyOptions, readBody } from './body.js';
export {
  ClientAbortedError,
  ERROR_CODES,
  type ErrorKind,
  HttpError,
  HttpFrontError,
  ListenError,
  ServiceMissingError,
  ThreadCrashError,
  ThreadWedgedError,
  UwsNativeError,
} from './errors.js';
export { isUuid, parseUuid } from './ids.js';
export { InflightTracker, inflightOf } from './inflight.js';
export { mountNotFound } from './not-found.js';
export { Exchange, endWithLength, exchange, type Headers, statusLine } from './respond.js';
export { sessionFrom } from './session.js';
export { httpErrorFromStore } from './store-errors.js';
export { closeApp, loadUws, type UwsModule, uwsBinaryName } from './uws.js';
