/**
 * The one HTTP client for calls between our own services (web → api, api → scheduler): a request
 * with a small buffered body, answered with a small buffered body. It forwards the current
 * request id (so the callee logs under the caller's id) and reuses connections through a
 * keep-alive agent. The stream and tus proxies (web/stream-proxy.ts, web/tus-proxy.ts) do not use
 * it: they pipe large bodies both ways with back-pressure, a different job from buffering.
 *
 * A network error or a timeout rejects; any HTTP status resolves — the caller decides what a
 * status means.
 */
import { Agent, request } from 'node:http';
import { forwardRequestId } from './request-id.js';

export interface InternalReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface InternalRequest {
  method: string;
  headers?: Record<string, string>;
  body?: Uint8Array | undefined;
  /** Socket idle time before the call fails (node:http `timeout`). */
  timeoutMs: number;
  /** Connection pool; a shared keep-alive agent when absent. */
  agent?: Agent;
}

// node:http with a keep-alive agent: measured several times faster than fetch() for the web's
// concurrent relaying (bench/api), and these bodies are small enough to buffer.
const sharedAgent = new Agent({ keepAlive: true, maxSockets: 256 });

export function internalRequest(url: string, opts: InternalRequest): Promise<InternalReply> {
  const headers = forwardRequestId({ ...opts.headers });
  if (opts.body) headers['content-length'] = String(opts.body.byteLength);
  return new Promise<InternalReply>((resolve, reject) => {
    const up = request(url, {
      method: opts.method,
      headers,
      agent: opts.agent ?? sharedAgent,
      timeout: opts.timeoutMs,
    });
    up.on('timeout', () => up.destroy(new Error('timed out')));
    up.on('error', reject);
    up.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => up.destroy(err));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 502,
          headers: res.headers,
          body: Buffer.concat(chunks),
        }),
      );
    });
    up.end(opts.body);
  });
}
