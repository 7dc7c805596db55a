/**
 * The video half of the MongoDB record store beyond the seed's: derived fields, the public
 * listings, search and updates.
 *
 * Each video document carries two derived fields written with the record (never returned):
 * `listed` (active, public and ready: `isListed`) and `words` (the search words of title and
 * description, only while listed, else []). Indexes, created at open:
 *   listed_time         {listed, createdAt: -1, _id: -1}             public newest first
 *   listed_author_time  {listed, authorId, createdAt: -1, _id: -1}   one user's public videos
 *   words_time          {words, createdAt: -1, _id: -1}              search (multikey)
 * so every list is an index range from the cursor, limit + 1 documents, never a collection scan.
 *
 * Updates are optimistic: read, merge, then write only if `rev` is still the one read (retried
 * on a race), so a PATCH from the owner and `ready` from an upload never overwrite each other.
 */
import type { Collection, Filter } from 'mongodb';
import type { Page, PageRequest, Video, VideoPatch } from './types.js';
import {
  type CursorKey,
  checkPage,
  isListed,
  normalizeVideo,
  pickPatch,
  toPage,
  videoWords,
} from './video-fields.js';

export type VideoDoc = Omit<Video, 'id'> & {
  _id: string;
  listed?: boolean;
  words?: string[];
  rev?: number;
};

export function videoDoc(x: Video, rev = 0): VideoDoc {
  const { id, ...rest } = x;
  const listed = isListed(x);
  return { _id: id, ...rest, listed, words: listed ? videoWords(x) : [], rev };
}

export function videoFromDoc(d: VideoDoc | null): Video | undefined {
  if (!d) return undefined;
  const { _id, listed: _l, words: _w, rev: _r, ...rest } = d;
  return normalizeVideo({ id: _id, ...rest } as Video);
}

export async function createVideoIndexes(videos: Collection<VideoDoc>): Promise<void> {
  await videos.createIndex({ listed: 1, createdAt: -1, _id: -1 }, { name: 'listed_time' });
  await videos.createIndex(
    { listed: 1, authorId: 1, createdAt: -1, _id: -1 },
    { name: 'listed_author_time' },
  );
  await videos.createIndex({ words: 1, createdAt: -1, _id: -1 }, { name: 'words_time' });
}

/** The filter of the items strictly after cursor `c` in newest-first order (any collection). */
export function afterCursor<D>(c: CursorKey | undefined): Filter<D> {
  if (!c) return {};
  return {
    $or: [{ createdAt: { $lt: c.createdAt } }, { createdAt: c.createdAt, _id: { $lt: c.id } }],
  } as unknown as Filter<D>;
}

/** One newest-first page of the documents matching `filter`. */
export async function videoPage(
  videos: Collection<VideoDoc>,
  filter: Filter<VideoDoc>,
  page: PageRequest,
): Promise<Page<Video>> {
  const cursor = checkPage(page);
  const docs = await videos
    .find({ ...filter, ...afterCursor(cursor) } as Filter<VideoDoc>)
    .sort({ createdAt: -1, _id: -1 })
    .limit(page.limit + 1)
    .toArray();
  return toPage(
    docs.map((d) => videoFromDoc(d as VideoDoc) as Video),
    page.limit,
  );
}

/** Applies a (checked) patch to an active video; undefined when there is none. */
export async function updateVideoDoc(
  videos: Collection<VideoDoc>,
  id: string,
  patch: VideoPatch,
): Promise<Video | undefined> {
  const changes = pickPatch(patch);
  for (;;) {
    const d = await videos.findOne({ _id: id });
    if (d?.state !== 'active') return undefined;
    const next = normalizeVideo({ ...(videoFromDoc(d) as Video), ...changes });
    const rev = d.rev ?? null;
    const r = await videos.replaceOne(
      { _id: id, rev } as Filter<VideoDoc>,
      videoDoc(next, (d.rev ?? 0) + 1),
    );
    if (r.matchedCount === 1) return next;
  }
}
