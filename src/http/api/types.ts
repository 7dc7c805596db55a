/** Transport-neutral request/response of the api: the uWS mount and the web front both use it. */
import type { Session } from '../../store/types.js';
import type { ServiceContext } from '../context.js';

export interface ApiRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Path only: no scheme, host or query. */
  path: string;
  /** The raw query string without `?` (absent or '' = none). */
  query?: string;
  /** The `X-Session-Id` header; nothing else about the caller is trusted. */
  sessionId: string | undefined;
  /**
   * The client's address for per-address throttles: the socket's peer, or what a trusted proxy
   * forwarded (see src/http/common/client-address.ts). Undefined when unknown.
   */
  clientAddress?: string | undefined;
  contentType: string | undefined;
  body: Uint8Array | undefined;
}

export interface ApiResponse {
  status: number;
  /** JSON text; undefined for 204. */
  body: string | undefined;
  /** Extra response headers (`Retry-After` on a 429). */
  headers?: Readonly<Record<string, string>>;
}

/** What a route handler gets. */
export interface ApiCall {
  readonly ctx: ServiceContext;
  readonly params: Readonly<Record<string, string>>;
  readonly req: ApiRequest;
  /** The body parsed as a JSON object (400/413/415 otherwise). */
  json(): Record<string, unknown>;
  /** The valid session (401 `002` otherwise). */
  session(): Promise<Session>;
  /** The caller's session if a valid one was sent, else undefined (anonymous; never 401). */
  viewer(): Promise<Session | undefined>;
  /** The query parameters. */
  query(): URLSearchParams;
}

/** A handler returns its status and a JSON-serialisable value (undefined for no body). */
export type ApiHandler = (call: ApiCall) => Promise<{ status: number; value?: unknown }>;
