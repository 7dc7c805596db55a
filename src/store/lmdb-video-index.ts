/**
 * The public-listing and search indexes of the LMDB record store (see lmdb-records.ts for the
 * transaction rules). Only listed videos (active, public, ready: `isListed`) have entries, so an
 * unlisted or private video can never leak into a list or a search result.
 *
 * Keys (ordered-binary, element-wise), each value a copy of the record except for words:
 *   publicByTime    [createdAt, id]                → Video
 *   publicByAuthor  [authorId, createdAt, id]      → Video
 *   publicWords     [word, createdAt, id]          → 1
 * Every list is one reverse range read from the cursor (newest first). A search walks the
 * postings of its longest word (usually the rarest) and keeps the videos whose other words have
 * a posting under the same [createdAt, id], one point lookup each: never a scan of all videos.
 *
 * `add`/`remove` must run inside the caller's write transaction, with the record as it is (add)
 * or as it was (remove), so the indexes change in the same commit as the record.
 */
import type { Database, RootDatabase } from 'lmdb';
import type { Page, PageRequest, Video } from './types.js';
import { checkPage, isListed, normalizeVideo, toPage, videoWords } from './video-fields.js';

const MAX = Number.MAX_SAFE_INTEGER;

type TimeKey = [number, string];

export class LmdbVideoIndex {
  readonly #byTime: Database<Video, TimeKey>;
  readonly #byAuthor: Database<Video, [string, number, string]>;
  readonly #words: Database<1, [string, number, string]>;

  constructor(root: RootDatabase) {
    this.#byTime = root.openDB({ name: 'publicByTime', encoding: 'msgpack' });
    this.#byAuthor = root.openDB({ name: 'publicByAuthor', encoding: 'msgpack' });
    this.#words = root.openDB({ name: 'publicWords', encoding: 'msgpack' });
  }

  /** Inside a write transaction: index `v` if it is listed. */
  add(v: Video): void {
    if (!isListed(v)) return;
    this.#byTime.put([v.createdAt, v.id], v);
    this.#byAuthor.put([v.authorId, v.createdAt, v.id], v);
    for (const w of videoWords(v)) this.#words.put([w, v.createdAt, v.id], 1);
  }

  /** Inside a write transaction: drop the entries `v` (the stored version) has. */
  remove(v: Video): void {
    if (!isListed(v)) return;
    this.#byTime.remove([v.createdAt, v.id]);
    this.#byAuthor.remove([v.authorId, v.createdAt, v.id]);
    for (const w of videoWords(v)) this.#words.remove([w, v.createdAt, v.id]);
  }

  list(page: PageRequest): Page<Video> {
    const after = checkPage(page);
    const start: TimeKey = after ? [after.createdAt, after.id] : [MAX, ''];
    const out: Video[] = [];
    for (const { key, value } of this.#byTime.getRange({ start, end: [-1, ''], reverse: true })) {
      if (after && key[0] === after.createdAt && key[1] === after.id) continue;
      out.push(normalizeVideo(value));
      if (out.length > page.limit) break;
    }
    return toPage(out, page.limit);
  }

  listByAuthor(authorId: string, page: PageRequest): Page<Video> {
    const after = checkPage(page);
    const start: [string, number, string] = after
      ? [authorId, after.createdAt, after.id]
      : [authorId, MAX, ''];
    const out: Video[] = [];
    const range = this.#byAuthor.getRange({ start, end: [authorId, -1, ''], reverse: true });
    for (const { key, value } of range) {
      if (after && key[1] === after.createdAt && key[2] === after.id) continue;
      out.push(normalizeVideo(value));
      if (out.length > page.limit) break;
    }
    return toPage(out, page.limit);
  }

  search(words: string[], page: PageRequest): Page<Video> {
    const after = checkPage(page);
    if (words.length === 0) return { items: [], next: undefined };
    const [lead, ...rest] = [...words].sort((a, b) => b.length - a.length) as [string, ...string[]];
    const start: [string, number, string] = after
      ? [lead, after.createdAt, after.id]
      : [lead, MAX, ''];
    const out: Video[] = [];
    const range = this.#words.getKeys({ start, end: [lead, -1, ''], reverse: true });
    for (const [, createdAt, id] of range) {
      if (after && createdAt === after.createdAt && id === after.id) continue;
      if (rest.some((w) => this.#words.get([w, createdAt, id]) === undefined)) continue;
      const v = this.#byTime.get([createdAt, id]);
      if (v === undefined) continue;
      out.push(normalizeVideo(v));
      if (out.length > page.limit) break;
    }
    return toPage(out, page.limit);
  }
}
