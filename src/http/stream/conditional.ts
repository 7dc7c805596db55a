/**
 * Conditional requests (RFC 9110 §13.2.2), evaluated in the RFC's order for GET/HEAD:
 * If-Match → If-Unmodified-Since (412) → If-None-Match → If-Modified-Since (304),
 * then If-Range decides whether a Range applies.
 */

export interface Validators {
  /** Strong ETag, quoted: `"…"`. */
  etag: string;
  /** Last-Modified in epoch ms; compared at the header's one-second precision. */
  mtime: number;
}

export interface ConditionalHeaders {
  ifMatch: string;
  ifNoneMatch: string;
  ifModifiedSince: string;
  ifUnmodifiedSince: string;
  ifRange: string;
}

export type Precondition = 'proceed' | 'not-modified' | 'failed';

const ETAG = /(W\/)?"([^"]*)"/g;

function tags(header: string): Array<{ weak: boolean; value: string }> {
  const out: Array<{ weak: boolean; value: string }> = [];
  for (const m of header.matchAll(ETAG)) out.push({ weak: m[1] !== undefined, value: m[2]! });
  return out;
}

/** Opaque value of our strong tag (without quotes). */
function opaque(etag: string): string {
  return etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** An HTTP-date in seconds, or undefined when it does not parse. */
function httpDate(value: string): number | undefined {
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : seconds(t);
}

export function evaluatePreconditions(h: ConditionalHeaders, v: Validators): Precondition {
  const ours = opaque(v.etag);
  const modified = seconds(v.mtime);
  if (h.ifMatch !== '') {
    const ok = h.ifMatch.trim() === '*' || tags(h.ifMatch).some((t) => !t.weak && t.value === ours);
    if (!ok) return 'failed';
  } else if (h.ifUnmodifiedSince !== '') {
    const since = httpDate(h.ifUnmodifiedSince);
    if (since !== undefined && modified > since) return 'failed';
  }
  if (h.ifNoneMatch !== '') {
    // Weak comparison: W/"x" matches "x".
    const hit = h.ifNoneMatch.trim() === '*' || tags(h.ifNoneMatch).some((t) => t.value === ours);
    if (hit) return 'not-modified';
  } else if (h.ifModifiedSince !== '') {
    const since = httpDate(h.ifModifiedSince);
    if (since !== undefined && modified <= since) return 'not-modified';
  }
  return 'proceed';
}

/** Whether a Range applies given If-Range: absent, a strongly matching ETag, or the exact date. */
export function rangeApplies(ifRange: string, v: Validators): boolean {
  const value = ifRange.trim();
  if (value === '') return true;
  if (value.startsWith('"') || value.startsWith('W/')) {
    const [tag] = tags(value);
    return tag !== undefined && !tag.weak && tag.value === opaque(v.etag);
  }
  const date = httpDate(value);
  return date !== undefined && date === seconds(v.mtime);
}
