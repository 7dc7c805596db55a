/**
 * Request ids: an incoming `X-Request-Id` is kept when it is a safe token (so a front proxy's id
 * ties its logs to ours), otherwise a fresh one is made. Safe = 1–128 characters of
 * `A–Z a–z 0–9 . _ : -`: nothing that could break a header, a log line or a URL.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { currentRequest } from '../../log.js';

export const REQUEST_ID_HEADER = 'x-request-id';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

export function isSafeRequestId(value: string): boolean {
  return SAFE.test(value);
}

/**
 * Generated ids are UUID-shaped (8-4-4-4-12 hex): 80 random bits drawn once per thread, then a
 * per-thread counter. Unique across threads and processes (the random part) without drawing
 * randomness per request (randomUUID measured ~0.3–0.45 µs, a few percent of a 404); an id is a
 * correlation key, not a secret.
 */
const PREFIX = randomBytes(10)
  .toString('hex')
  .replace(/^(.{8})(.{4})(.{4})(.{4})$/, '$1-$2-$3-$4-');
/** The counter's last three hex digits, made once: an id is then one concatenation. */
const LOW = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));
/** A generated id's length: PREFIX, 9 hex digits of its block of 4096, 3 of its place in it. */
export const GENERATED_ID_LENGTH = PREFIX.length + 12;
let counter = 0;
/**
 * The block (number ÷ 4096) last asked for, and its head: PREFIX and the block's 9 hex digits,
 * as text and as bytes (the bytes made when first asked for).
 */
let headBlock = -1;
let head = '';
let headBytes: Uint8Array | undefined;

/** -1 when `given` (an `X-Request-Id`, '' when absent) is safe to keep; else a new id's number. */
export function requestNumber(given: string): number {
  if (given !== '' && SAFE.test(given)) return -1;
  counter = (counter + 1) % 2 ** 48;
  return counter;
}

function headOf(no: number): string {
  const b = Math.floor(no / 4096);
  if (b !== headBlock) {
    headBlock = b;
    head = PREFIX + b.toString(16).padStart(9, '0');
    headBytes = undefined;
  }
  return head;
}

/** The generated id numbered `no` (from requestNumber). */
export function generatedId(no: number): string {
  return headOf(no) + LOW[no % 4096]!;
}

/** `no`'s first 33 characters (PREFIX and its block's 9 hex digits), as bytes. */
export function idHead(no: number): Uint8Array {
  const text = headOf(no);
  headBytes ??= new Uint8Array(Buffer.from(text, 'latin1'));
  return headBytes;
}

const HEX = new Uint8Array(Buffer.from('0123456789abcdef', 'latin1'));

/** The last 3 hex digits of the generated id numbered `no`. Returns the end. */
export function putIdTail(b: Uint8Array, at: number, no: number): number {
  const low = no % 4096;
  b[at] = HEX[low >> 8]!;
  b[at + 1] = HEX[(low >> 4) & 15]!;
  b[at + 2] = HEX[low & 15]!;
  return at + 3;
}

/**
 * Adds the current request's id to the headers of a call to another service, so that service
 * logs under the same id (api → scheduler, web → api, web → stream).
 */
export function forwardRequestId(headers: Record<string, string>): Record<string, string> {
  const r = currentRequest();
  if (r?.reqId) headers[REQUEST_ID_HEADER] = r.reqId;
  return headers;
}
