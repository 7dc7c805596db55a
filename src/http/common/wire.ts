/**
 * Response text the uWS addon copies on every request, encoded once. A string argument costs the
 * addon a UTF-8 length pass and a copy per call (`v8::String::Utf8Value`: ~4% of the serving
 * thread's time on the 404 workload, perf in bench/results/http-profile.md); bytes are passed
 * through as they are. Only constant text belongs here; the request id goes out in the same
 * writeStatus call as a wire status line (observe.ts, `statusWithId`).
 *
 * Invariant: the buffers are never written after they are made (uWS copies them into its send
 * buffer, so one buffer serves every response).
 */
import { Buffer } from 'node:buffer';

export function wire(text: string): ArrayBuffer {
  // An ArrayBuffer of its own, not a view: the addon takes a view's buffer first (one more call).
  const bytes = Buffer.from(text, 'utf8');
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

/**
 * A fixed header set, written with the status line: `head` gives a status line with the whole
 * set after it, encoded once, for one `writeStatus` call. uWS writes the status text verbatim
 * between "HTTP/1.1 " and CRLF, so "404 Not Found\r\nContent-Type: …" puts the headers on the
 * wire exactly as writeHeader would, with one addon call instead of one per header. Names and
 * values are checked for CR and LF, so no set can split a response.
 */
export class WireHeaders {
  readonly #lines: string;
  readonly #heads = new Map<number, ArrayBuffer>();

  constructor(headers: Readonly<Record<string, string>>) {
    let lines = '';
    for (const k in headers) {
      const v = headers[k]!;
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) {
        throw new RangeError(`WireHeaders: header ${JSON.stringify(k)} holds CR or LF`);
      }
      lines += `\r\n${k}: ${v}`;
    }
    this.#lines = lines;
    Object.freeze(this);
  }

  /** `status`'s line (`lineOf(status)`, e.g. "404 Not Found") followed by this set, encoded once. */
  head(status: number, lineOf: (status: number) => string): ArrayBuffer {
    let h = this.#heads.get(status);
    if (h === undefined) this.#heads.set(status, (h = wireStatus(lineOf(status) + this.#lines)));
    return h;
  }
}

export const JSON_HEADERS = new WireHeaders({ 'Content-Type': 'application/json' });

const ZERO = 48;

/** A status line made by wireStatus: its code, and its bytes as a view made once. */
export interface WiredStatus {
  readonly code: number;
  readonly bytes: Uint8Array;
}

const WIRED = new WeakMap<object, WiredStatus>();

/** A status line ("404 Not Found") encoded once; `statusCode` reads it back without a decode. */
export function wireStatus(line: string): ArrayBuffer {
  const out = wire(line);
  WIRED.set(out, Object.freeze({ code: statusCode(line), bytes: new Uint8Array(out) }));
  return out;
}

/** What wireStatus made `line` from; undefined for anything else (text, other bytes). */
export function wiredStatus(line: unknown): WiredStatus | undefined {
  return line instanceof ArrayBuffer ? WIRED.get(line) : undefined;
}

/**
 * The status code of a status line as uWS's `writeStatus` takes it ("404 Not Found", as text or
 * bytes); 200 when it does not start with three digits. Reads three characters, no parse.
 */
export function statusCode(line: unknown): number {
  let a: number;
  let b: number;
  let c: number;
  if (typeof line === 'string') {
    a = line.charCodeAt(0) - ZERO;
    b = line.charCodeAt(1) - ZERO;
    c = line.charCodeAt(2) - ZERO;
  } else if (line instanceof ArrayBuffer || line instanceof Uint8Array) {
    const known = WIRED.get(line);
    if (known !== undefined) return known.code;
    const bytes = line instanceof Uint8Array ? line : new Uint8Array(line);
    a = bytes[0]! - ZERO;
    b = bytes[1]! - ZERO;
    c = bytes[2]! - ZERO;
  } else return 200;
  // NaN (a short line) fails these comparisons too.
  if (!(a >= 1 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9)) return 200;
  return a * 100 + b * 10 + c;
}
