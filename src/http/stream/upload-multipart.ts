/**
 * The multipart/form-data side of `POST /upload/:vid` (the seed's form): the part named `file` is
 * the video; every other part is read and dropped, but its bytes count toward MAX_UPLOAD_BYTES
 * (a form of huge text fields is as big as a huge file).
 *
 * Every way busboy can refuse a body ends in exactly one 400 JSON answer with a message, the
 * temp file removed (`sink.abort()`), and the connection closed (the rest of the body is unread):
 *   - the constructor throws (no boundary, an empty one, a malformed Content-Type);
 *   - busboy 'error' (unterminated body, malformed part header, unexpected end of form);
 *   - the file part's stream 'error' (a part truncated by the end of the body) — without a
 *     listener it was an uncaught exception that ended the thread;
 *   - part, file or field count limits ('partsLimit', 'filesLimit', 'fieldsLimit').
 * Backpressure: `bb.write` false → the socket is paused until 'drain'; the sink's false → the
 * file stream is paused until the sink drains.
 */
import busboy from 'busboy';
import { HttpError } from '../common/errors.js';
import type { Exchange } from '../common/respond.js';
import type { UploadSink } from './upload-sink.js';

export type Feed = (chunk: Buffer, isLast: boolean) => void;

export const MULTIPART_LIMITS = Object.freeze({ files: 1, parts: 20, fields: 19, headerPairs: 20 });

export function multipartFeed(
  x: Exchange,
  sink: UploadSink,
  contentType: string,
  finish: () => void,
): Feed {
  let failed = false;
  const refuse = (message: string) => {
    if (failed) return;
    failed = true;
    void sink.abort();
    x.error(new HttpError('badRequest', message), undefined, true);
  };
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { 'content-type': contentType },
      // fieldSize: fields are counted against the cap below, never silently truncated.
      limits: { ...MULTIPART_LIMITS, fieldSize: Number.MAX_SAFE_INTEGER },
    });
  } catch (err) {
    refuse(`Malformed multipart body: ${(err as Error).message}`);
    return () => {};
  }
  let sawFile = false;
  let pendingEnds = 1; // busboy 'close', plus the file part's 'end' once one is seen
  const ended = () => {
    if (--pendingEnds > 0 || failed) return;
    if (!sawFile) refuse('No "file" field');
    else finish();
  };
  bb.on('file', (name, file) => {
    file.on('error', (err: Error) => refuse(`Malformed multipart body: ${err.message}`));
    if (name !== 'file' || sawFile) {
      file.on('data', (c: Buffer) => sink.count(c.length));
      return;
    }
    sawFile = true;
    pendingEnds++;
    file.on('data', (c: Buffer) => {
      if (!sink.push(c)) {
        file.pause();
        sink.onDrain(() => file.resume());
      }
    });
    file.on('end', ended);
  });
  bb.on('field', (_name, value: string) => sink.count(Buffer.byteLength(value)));
  bb.on('close', ended);
  bb.on('error', (err: Error) => refuse(`Malformed multipart body: ${err.message}`));
  for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) {
    bb.on(limit, () => refuse('Too many parts in the form'));
  }
  bb.on('drain', () => x.resume());
  return (chunk, isLast) => {
    if (failed) return;
    if (chunk.length > 0 && !bb.write(chunk) && !isLast) x.pause();
    if (isLast) bb.end();
  };
}
