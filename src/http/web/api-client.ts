/**
 * How the web front reaches the api: a direct call into the api's handler when this process
 * runs the api service (no HTTP hop, same route table), otherwise HTTP to API_URL. Both answer
 * the same ApiResponse, so the relay and the pages do not care which one they have.
 */
import { Agent, request } from 'node:http';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import { handleApi } from '../api/handle.js';
import type { ApiRequest, ApiResponse } from '../api/types.js';
import { forwardRequestId } from '../common/request-id.js';
import type { ServiceContext } from '../context.js';

export interface ApiClient {
  readonly mode: 'in-process' | 'http';
  call(req: ApiRequest): Promise<ApiResponse>;
}

const TIMEOUT_MS = 15_000;
const UNREACHABLE: ApiResponse = {
  status: 502,
  body: JSON.stringify({ error: 'The api service is unreachable', error_code: '004' }),
};

export function apiClientFor(ctx: ServiceContext): ApiClient {
  if (ctx.config.only.includes('api')) {
    return { mode: 'in-process', call: (req) => handleApi(ctx, req) };
  }
  return httpApiClient(ctx.config, ctx.log);
}

function httpApiClient(config: Config, log: Logger): ApiClient {
  const base = config.apiUrl;
  if (!base) {
    throw new TypeError(
      'config.apiUrl (API_URL) is required when the web service runs without the api',
    );
  }
  // node:http with a keep-alive agent: measured several times faster than fetch() here under
  // concurrent relaying (bench/api), and bodies are small enough to buffer.
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  return {
    mode: 'http',
    call(req) {
      const headers: Record<string, string> = {};
      if (req.sessionId) headers['x-session-id'] = req.sessionId;
      forwardRequestId(headers);
      // The api believes this only when TRUST_PROXY names this web node (README, split deployment).
      if (req.clientAddress) headers['x-forwarded-for'] = req.clientAddress;
      if (req.body) {
        headers['content-type'] = req.contentType ?? 'application/json';
        headers['content-length'] = String(req.body.byteLength);
      }
      return new Promise<ApiResponse>((resolve) => {
        const url = base + req.path + (req.query ? `?${req.query}` : '');
        const up = request(url, {
          method: req.method,
          headers,
          agent,
          timeout: TIMEOUT_MS,
        });
        up.on('timeout', () => up.destroy(new Error('timed out')));
        up.on('error', (err) => {
          log.error('api unreachable', { url, err });
          resolve(UNREACHABLE);
        });
        up.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => up.destroy(err));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 502;
            const retryAfter = res.headers['retry-after'];
            resolve({
              status,
              body: status === 204 || text === '' ? undefined : text,
              ...(retryAfter ? { headers: { 'Retry-After': retryAfter } } : {}),
            });
          });
        });
        up.end(req.body);
      });
    },
  };
}
