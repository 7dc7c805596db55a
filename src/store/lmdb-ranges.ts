/**
 * Newest-first reads over the LMDB record store's time-ordered keys [prefix, createdAt, id]
 * (videosByAuthor, commentsByVideo). Ordered-binary keys compare arrays element-wise, so a range
 * over [x, lo]..[x, hi] is all of x in time order; read in reverse it is newest first (ties:
 * higher id first). Each call is one read transaction.
 */
import type { Database } from 'lmdb';
import { MAX } from './lmdb-env.js';
import type { Page, PageRequest } from './types.js';
import { type CursorKey, checkPage, toPage } from './video-fields.js';

type TimeKey = [string, number, string];

/** The values under [prefix, time, id] keys, newest first. */
export function newestFirst<T>(db: Database<T, TimeKey>, prefix: string): T[] {
  const out: T[] = [];
  const range = db.getRange({ start: [prefix, MAX, ''], end: [prefix, -1, ''], reverse: true });
  for (const { value } of range) out.push(value);
  return out;
}

/**
 * One page under [prefix, time, id] keys, newest first: starts at the cursor's key (skipped: the
 * previous page's last item), reads at most limit + 1 values (the extra one only says "more").
 */
export function pageNewestFirst<V, T extends CursorKey>(
  db: Database<V, TimeKey>,
  prefix: string,
  page: PageRequest,
  map: (value: V) => T,
): Page<T> {
  const after = checkPage(page);
  const start: TimeKey = after ? [prefix, after.createdAt, after.id] : [prefix, MAX, ''];
  const out: T[] = [];
  for (const { key, value } of db.getRange({ start, end: [prefix, -1, ''], reverse: true })) {
    if (after && key[1] === after.createdAt && key[2] === after.id) continue;
    out.push(map(value));
    if (out.length > page.limit) break;
  }
  return toPage(out, page.limit);
}
