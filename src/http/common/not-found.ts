/** The catch-all every app needs: uWS leaves an unmatched request hanging otherwise. */
import type { TemplatedApp } from 'uWebSockets.js';
import { ERROR_CODES, HttpError } from './errors.js';
import { endWithLength, statusLine } from './respond.js';

const BODY = JSON.stringify(new HttpError('notFound').toJSON());
const BODY_LENGTH = Buffer.byteLength(BODY);

/** Registers `any /*` → 404 JSON. Mount it after every service route. */
export function mountNotFound(app: TemplatedApp): void {
  app.any('/*', (res, req) => {
    // Synchronous: corked by uWS already, no abort handler needed.
    res
      .writeStatus(statusLine(ERROR_CODES.notFound.status))
      .writeHeader('Content-Type', 'application/json');
    // uWS does not know HEAD has no body: report the length, send none.
    if (req.getMethod() === 'head') endWithLength(res, BODY_LENGTH);
    else res.end(BODY);
  });
}
