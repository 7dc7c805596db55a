/**
 * The video fields beyond the seed's (description, visibility, ready, media), kept the same way by
 * both record adapters: defaults for records written before a field existed, validation, which
 * videos are listed, the words search matches, and the opaque listing cursor.
 *
 * Listing order is (createdAt, id) descending in both adapters; a cursor names the last item of
 * a page, and the next page starts strictly after it, so pages never repeat or skip an item that
 * existed when the first page was read.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from './errors.js';
import type { NewVideo, PageRequest, Video, VideoPatch, Visibility } from './types.js';
import { checkId, checkPositiveInt, checkTime, checkVideo, STORE_LIMITS } from './validate.js';

export const VISIBILITIES: readonly Visibility[] = Object.freeze(['public', 'unlisted', 'private']);

/** Largest page a store hands out (the api caps lower). */
export const MAX_PAGE = 1000;

/** Words longer than this are not indexed (no one searches for them; keys stay small). */
const MAX_WORD_CHARS = 64;

const DEFAULTS = Object.freeze({
  description: '',
  visibility: 'public' as Visibility,
  ready: false,
  durationMs: null,
  width: null,
  height: null,
  posterId: null,
});

/** A full record from a stored or new one (missing fields get their defaults). */
export function normalizeVideo(x: NewVideo): Video {
  // Records written by this version have every field: no copy on the per-request hot path.
  if (x.codecs !== undefined && x.posterId !== undefined && x.description !== undefined) {
    if (x.visibility !== undefined && x.ready !== undefined && x.durationMs !== undefined) {
      return x as Video;
    }
  }
  return {
    ...DEFAULTS,
    ...x,
    codecs: x.codecs ? [...x.codecs] : [],
  } as Video;
}

function checkNullableInt(what: string, n: unknown): void {
  if (n !== null && (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)) {
    throw new InvalidArgumentError(`${what} must be null or a non-negative integer`);
  }
}

/** The fields of a patch (or of a new record) beyond id/author/time/state. */
export function checkVideoPatch(p: VideoPatch): void {
  if (p.name !== undefined) {
    if (typeof p.name !== 'string' || Buffer.byteLength(p.name) > STORE_LIMITS.nameBytes) {
      throw new InvalidArgumentError(
        `video.name must be a string of at most ${STORE_LIMITS.nameBytes} bytes`,
      );
    }
  }
  if (
    p.description !== undefined &&
    (typeof p.description !== 'string' || p.description.length > STORE_LIMITS.descriptionChars)
  ) {
    throw new InvalidArgumentError(
      `video.description must be a string of at most ${STORE_LIMITS.descriptionChars} characters`,
    );
  }
  if (p.visibility !== undefined && !VISIBILITIES.includes(p.visibility)) {
    throw new InvalidArgumentError('video.visibility must be "public", "unlisted" or "private"');
  }
  if (p.ready !== undefined && typeof p.ready !== 'boolean') {
    throw new InvalidArgumentError('video.ready must be a boolean');
  }
  if (p.durationMs !== undefined) checkNullableInt('video.durationMs', p.durationMs);
  if (p.width !== undefined) checkNullableInt('video.width', p.width);
  if (p.height !== undefined) checkNullableInt('video.height', p.height);
  if (
    p.codecs !== undefined &&
    (!Array.isArray(p.codecs) ||
      p.codecs.length > 16 ||
      p.codecs.some((c) => typeof c !== 'string' || c.length > 64))
  ) {
    throw new InvalidArgumentError('video.codecs must be at most 16 strings of 64 characters');
  }
  if (p.posterId !== undefined && p.posterId !== null) checkId('video.posterId', p.posterId);
}

/** The patchable fields of `p` only (a caller's extra keys never reach the record). */
export function pickPatch(p: VideoPatch): VideoPatch {
  const out: VideoPatch = {};
  for (const k of [
    'name',
    'description',
    'visibility',
    'ready',
    'durationMs',
    'width',
    'height',
    'codecs',
    'posterId',
  ] as const) {
    if (p[k] !== undefined) (out as Record<string, unknown>)[k] = p[k];
  }
  return out;
}

/** Whether the video appears in public lists and search. */
export function isListed(v: Video): boolean {
  return v.state === 'active' && v.visibility === 'public' && v.ready;
}

/**
 * Lower-case words without diacritics, split on anything that is not a letter or digit, unique.
 * The same function splits a record's title + description and a search query, so "Café" finds
 * "cafe" and "CAFÉ".
 */
export function searchWords(text: string): string[] {
  const folded = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  const words = new Set<string>();
  for (const w of folded.split(/[^\p{L}\p{N}]+/u)) {
    if (w.length > 0 && w.length <= MAX_WORD_CHARS) words.add(w);
  }
  return [...words];
}

/** The indexed words of a video (title and description). */
export function videoWords(v: Video): string[] {
  return searchWords(`${v.name} ${v.description}`);
}

export interface CursorKey {
  createdAt: number;
  id: string;
}

export function encodeCursor(v: CursorKey): string {
  return Buffer.from(JSON.stringify([v.createdAt, v.id])).toString('base64url');
}

/** Validates a page request; the decoded cursor, or undefined for the first page. */
export function checkPage(page: PageRequest): CursorKey | undefined {
  checkPositiveInt('page.limit', page.limit, MAX_PAGE);
  if (page.cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    if (typeof page.cursor !== 'string' || page.cursor.length > 200) throw new Error('shape');
    parsed = JSON.parse(Buffer.from(page.cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) throw new Error('shape');
    checkTime('cursor', parsed[0]);
    checkId('cursor', parsed[1]);
  } catch {
    throw new InvalidArgumentError('page.cursor is not a cursor this store handed out');
  }
  const [createdAt, id] = parsed as [number, string];
  return { createdAt, id };
}

/** A page from up to limit + 1 items read: the extra one only says there is more. */
export function toPage<T extends CursorKey>(
  items: T[],
  limit: number,
): { items: T[]; next: string | undefined } {
  if (items.length <= limit) return { items, next: undefined };
  const page = items.slice(0, limit);
  return { items: page, next: encodeCursor(page[page.length - 1]!) };
}

/** A new record's checks: the seed's fields (validate.ts) and ours. */
export function checkNewVideo(x: NewVideo): Video {
  checkVideo(x);
  checkVideoPatch(x);
  return normalizeVideo(x);
}

/**
 * The blob id of a video's poster: derived from the video id (a UUID-shaped SHA-256 prefix), so
 * a re-upload replaces the poster in place and the deletion task removes it knowing only the
 * video id.
 */
export function posterBlobId(videoId: string): string {
  const h = createHash('sha256')
    .update(`poster:${checkId('video id', videoId)}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
