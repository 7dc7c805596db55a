/**
 * The per-request text helpers: generated request ids (a per-thread prefix and counter, made by
 * one concatenation) and status codes read back from encoded status lines.
 */
import { describe, expect, it } from 'vitest';
import { generatedId, idHead, putIdTail, requestNumber } from '../../src/http/common/request-id.js';
import { statusCode, WireHeaders, wire, wireStatus } from '../../src/http/common/wire.js';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The id a request gets for its `X-Request-Id` header `given`, as RequestRecord.reqId makes it. */
function requestId(given: string): string {
  const no = requestNumber(given);
  return no < 0 ? given : generatedId(no);
}

describe('requestId', () => {
  it('generates distinct UUID-shaped ids, counting on across the 4096-id steps', () => {
    const ids = Array.from({ length: 10_000 }, () => requestId(''));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_SHAPE);
    // One prefix, and the counter part is consecutive (hex), whatever id came before.
    const prefixes = new Set(ids.map((id) => id.slice(0, 24)));
    expect(prefixes.size).toBe(1);
    const counters = ids.map((id) => Number.parseInt(id.slice(24), 16));
    for (let i = 1; i < counters.length; i++) expect(counters[i]).toBe(counters[i - 1]! + 1);
  });

  it('keeps a safe given id and replaces an unsafe one', () => {
    expect(requestId('edge-42:abc.DEF_9')).toBe('edge-42:abc.DEF_9');
    expect(requestId('bad id\r\nX-Evil: 1')).toMatch(UUID_SHAPE);
    expect(requestId('x'.repeat(129))).toMatch(UUID_SHAPE);
  });
});

describe('generated ids as bytes (the access log writes them without making the string)', () => {
  it('idHead + putIdTail spell generatedId, across 4096-id steps and in any order', () => {
    const first = requestNumber('');
    const nos = Array.from({ length: 9_000 }, (_, i) => first + i);
    // Out of order too (async requests end out of order): a block's head is remade, not reused.
    nos.push(first + 8_999, first, first + 4_096, first + 4_095);
    const b = new Uint8Array(64);
    for (const no of nos) {
      const head = idHead(no);
      b.set(head, 0);
      const end = putIdTail(b, head.length, no);
      expect(Buffer.from(b.subarray(0, end)).toString('latin1')).toBe(generatedId(no));
    }
    expect(requestNumber('edge-1')).toBe(-1);
  });
});

describe('statusCode', () => {
  it('reads the code of a status line given as text or as encoded bytes', () => {
    expect(statusCode('404 Not Found')).toBe(404);
    expect(statusCode(wireStatus('206 Partial Content'))).toBe(206);
    // Bytes not made by wireStatus are read too.
    expect(statusCode(wire('503 Service Unavailable'))).toBe(503);
    expect(statusCode(new Uint8Array(wire('429 Too Many Requests')))).toBe(429);
  });

  it('answers 200 for what is not a three-digit status line', () => {
    for (const line of ['', '20', 'OK', '099 Low', 'abc def', undefined, 404]) {
      expect(statusCode(line)).toBe(200);
    }
  });
});

describe('WireHeaders', () => {
  it('puts a status line and the whole set in one buffer, whose status code reads back', () => {
    const h = new WireHeaders({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    const head = h.head(404, () => '404 Not Found');
    expect(new TextDecoder().decode(head)).toBe(
      '404 Not Found\r\nContent-Type: application/json\r\nCache-Control: no-store',
    );
    expect(statusCode(head)).toBe(404);
    // Made once per status.
    expect(h.head(404, () => 'never used')).toBe(head);
  });

  it('refuses a name or value holding CR or LF', () => {
    expect(() => new WireHeaders({ 'X-A': 'ok\r\nX-Evil: 1' })).toThrow(RangeError);
    expect(() => new WireHeaders({ 'X-A\n': 'ok' })).toThrow(RangeError);
  });
});
