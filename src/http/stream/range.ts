/**
 * The `Range` header (RFC 9110 §14.2), byte ranges only.
 *
 * Our multiple-range choice: a request for several satisfiable ranges gets the whole
 * representation as one 200 (RFC 9110 §14.2: a server MAY ignore Range). Players ask for one
 * range; multipart/byteranges buys them nothing and costs a second code path.
 */

export type RangeResult =
  /** No Range, another unit, a syntax error, or several ranges: answer 200 with everything. */
  | { kind: 'full' }
  /** One satisfiable range, inclusive bounds already clamped to the size: answer 206. */
  | { kind: 'partial'; start: number; end: number }
  /** Well-formed but no range overlaps the representation: answer 416 `bytes *\/size`. */
  | { kind: 'unsatisfiable' };

const FULL: RangeResult = Object.freeze({ kind: 'full' });
const SPEC = /^(\d*)-(\d*)$/;

export function parseRange(header: string, size: number): RangeResult {
  if (header === '') return FULL;
  const eq = header.indexOf('=');
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return FULL;
  const satisfiable: Array<{ start: number; end: number }> = [];
  let specs = 0;
  for (const part of header.slice(eq + 1).split(',')) {
    const spec = part.trim();
    if (spec === '') continue; // empty list elements are allowed (RFC 9110 §5.6.1)
    const m = SPEC.exec(spec);
    if (!m) return FULL;
    const [, a = '', b = ''] = m;
    specs++;
    if (a === '') {
      if (b === '') return FULL; // "-" alone is a syntax error
      const n = Number(b);
      if (n > 0 && size > 0) satisfiable.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    const start = Number(a);
    const last = b === '' ? Number.POSITIVE_INFINITY : Number(b);
    if (last < start) return FULL; // an invalid range-spec makes the whole header invalid
    if (start < size) satisfiable.push({ start, end: Math.min(last, size - 1) });
  }
  if (specs === 0) return FULL;
  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };
  if (satisfiable.length > 1) return FULL;
  const only = satisfiable[0]!;
  return { kind: 'partial', start: only.start, end: only.end };
}
