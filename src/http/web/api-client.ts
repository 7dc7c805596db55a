/**
 * How the web front reaches the api: a direct call into the api's handler when this process
 * runs the api service (no HTTP hop, same route table), otherwise HTTP to API_URL. Both answer
 * the same ApiResponse, so the relay and the pages do not care which one they have.
 */
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import { handleApi } from '../api/handle.js';
import type { ApiRequest, ApiResponse } from '../api/types.js';
import { type InternalReply, internalRequest } from '../common/internal-client.js';
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
  return {
    mode: 'http',
    async call(req) {
      const headers: Record<string, string> = {};
      if (req.sessionId) headers['x-session-id'] = req.sessionId;
      // The api believes this only when TRUST_PROXY names this web node (README, split deployment).
      if (req.clientAddress) headers['x-forwarded-for'] = req.clientAddress;
      if (req.body) headers['content-type'] = req.contentType ?? 'application/json';
      const url = base + req.path + (req.query ? `?${req.query}` : '');
      let res: InternalReply;
      try {
        res = await internalRequest(url, {
          method: req.method,
          headers,
          body: req.body,
          timeoutMs: TIMEOUT_MS,
        });
      } catch (err) {
        log.error('api unreachable', { url, err });
        return UNREACHABLE;
      }
      const text = res.body.toString('utf8');
      const retryAfter = res.headers['retry-after'];
      return {
        status: res.status,
        body: res.status === 204 || text === '' ? undefined : text,
        ...(typeof retryAfter === 'string' ? { headers: { 'Retry-After': retryAfter } } : {}),
      };
    },
  };
}
