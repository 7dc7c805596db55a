/**
 * Framing checks the app adds on top of the uWS parser (issue 10, item 11), over raw sockets on a
 * real stream service: duplicate Content-Length (equal or not) and Transfer-Encoding other than
 * one `chunked` → 400 JSON and the connection closed; what uWS already refuses (both headers, a
 * non-numeric length) is a clean close; sound framing still works.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../http/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.close();
});

/** Writes `raw`, collects everything until the server closes (or 20 s pass: then 'open'). */
function exchangeRaw(raw: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(s.port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text, closed: false });
    }, 20_000);
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    sock.write(raw);
  });
}

const head = (lines: string[]) =>
  `${['POST /upload/x HTTP/1.1', 'Host: x', ...lines].join('\r\n')}\r\n\r\n`;

const REFUSED: Array<[string, string[], string]> = [
  ['two differing Content-Length', ['Content-Length: 5', 'Content-Length: 6'], 'hello!'],
  ['two equal Content-Length', ['Content-Length: 5', 'Content-Length: 5'], 'hello'],
  ['Transfer-Encoding: gzip', ['Transfer-Encoding: gzip'], '5\r\nhello\r\n0\r\n\r\n'],
  [
    'Transfer-Encoding: gzip, chunked',
    ['Transfer-Encoding: gzip, chunked'],
    '5\r\nhello\r\n0\r\n\r\n',
  ],
  [
    'two Transfer-Encoding headers',
    ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'],
    '5\r\nhello\r\n0\r\n\r\n',
  ], // An empty first header reads as absent through req.getHeader (uWS then frames no body), so a
  // cheaper screen by getHeader would miss these: only the header-by-header pass sees them.
  ['an empty Content-Length, then another', ['Content-Length: ', 'Content-Length: 5'], 'hello'],
  [
    'an empty Transfer-Encoding, then chunked',
    ['Transfer-Encoding: ', 'Transfer-Encoding: chunked'],
    '5\r\nhello\r\n0\r\n\r\n',
  ],
  ['an empty Content-Length', ['Content-Length: '], ''],
];

/** Refused by uWS itself before any handler: the connection is closed with no answer. */
const UWS_CLOSES: Array<[string, string[], string]> = [
  [
    'Content-Length then Transfer-Encoding',
    ['Content-Length: 5', 'Transfer-Encoding: chunked'],
    '5\r\nhello\r\n0\r\n\r\n',
  ],
  [
    'Transfer-Encoding then Content-Length',
    ['Transfer-Encoding: chunked', 'Content-Length: 5'],
    '5\r\nhello\r\n0\r\n\r\n',
  ],
  ['a Content-Length that is not a number', ['Content-Length: 12abc'], 'hello'],
];

describe('request framing', () => {
  for (const [name, lines, body] of REFUSED) {
    it(`${name} → 400 JSON, connection closed`, async () => {
      const r = await exchangeRaw(head(lines) + body);
      expect(r.closed).toBe(true);
      expect(r.text.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(r.text).toMatch(/\r\nConnection: close\r\n/i);
      const json = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4));
      expect(json.error_code).toBe('001');
      expect(json.error).toMatch(/Content-Length|Transfer-Encoding/);
    });
  }

  for (const [name, lines, body] of UWS_CLOSES) {
    it(`${name} → closed by the uWS parser, and the server keeps serving`, async () => {
      const r = await exchangeRaw(head(lines) + body);
      expect(r).toEqual({ text: '', closed: true });
      expect(
        (await exchangeRaw('GET /videos/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).text,
      ).toMatch(/^HTTP\/1\.1 400 /);
    });
  }

  it('sound framing is served: one chunked body, one Content-Length, none', async () => {
    for (const lines of [['Transfer-Encoding: chunked'], ['Content-Length: 5'], []]) {
      const body = lines[0]?.startsWith('Transfer')
        ? '5\r\nhello\r\n0\r\n\r\n'
        : lines[0]
          ? 'hello'
          : '';
      const raw = `${['POST /upload/not-a-uuid HTTP/1.1', 'Host: x', 'Connection: close', 'Content-Type: video/mp4', ...lines].join('\r\n')}\r\n\r\n${body}`;
      const r = await exchangeRaw(raw);
      // The upload route itself answers: 400 for its id, not for the framing.
      expect(r.text.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(r.text).toMatch(/Invalid video id/);
    }
  });
});
