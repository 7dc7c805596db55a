/**
 * The video and comment records of the LMDB record store (lmdb-records.ts holds the rules and
 * the key layout; the public listing and search indexes are lmdb-video-index.ts).
 *
 * Invariants: every write is one transaction over the record and all its index entries; only
 * `active` videos have a videosByAuthor entry, only listed ones public entries, so a video leaves
 * every list in the same commit that changes its state or removes it.
 */
import type { Database } from 'lmdb';
import { type LmdbEnv, MAX } from './lmdb-env.js';
import { HotRecords } from './lmdb-hot.js';
import { newestFirst, pageNewestFirst } from './lmdb-ranges.js';
import { LmdbVideoIndex } from './lmdb-video-index.js';
import type { Comment, NewVideo, Page, PageRequest, Video, VideoPatch } from './types.js';
import * as v from './validate.js';
import {
  checkNewVideo,
  checkVideoPatch,
  normalizeVideo,
  pickPatch,
  searchWords,
} from './video-fields.js';

export class LmdbVideos {
  readonly #env: LmdbEnv;
  readonly #videos: Database<Video, string>;
  readonly #hotVideos: HotRecords<Video, string>;
  readonly #videosByAuthor: Database<Video, [string, number, string]>;
  readonly #comments: Database<Comment, string>;
  readonly #commentsByVideo: Database<Comment, [string, number, string]>;
  readonly #public: LmdbVideoIndex;

  constructor(env: LmdbEnv) {
    this.#env = env;
    this.#videos = env.db('videos');
    this.#hotVideos = new HotRecords(this.#videos, normalizeVideo);
    this.#videosByAuthor = env.db('videosByAuthor');
    this.#comments = env.db('comments');
    this.#commentsByVideo = env.db('commentsByVideo');
    this.#public = new LmdbVideoIndex(env.root);
  }

  async createVideo(video: NewVideo): Promise<void> {
    const x = checkNewVideo(video);
    await this.#env.tx(() => {
      const old = this.#videos.get(x.id);
      if (old) this.#unindexVideo(old);
      this.#videos.put(x.id, x);
      if (x.state === 'active') this.#videosByAuthor.put([x.authorId, x.createdAt, x.id], x);
      this.#public.add(x);
    });
  }

  /** Inside a transaction: removes every index entry of the stored version `old`. */
  #unindexVideo(old: Video): void {
    this.#videosByAuthor.remove([old.authorId, old.createdAt, old.id]);
    this.#public.remove(normalizeVideo(old));
  }

  async getVideo(id: string): Promise<Video | undefined> {
    this.#env.assertOpen();
    const x = this.#videos.get(v.checkId('video id', id));
    return x && normalizeVideo(x);
  }

  async listStaleUploads(createdBefore: number, limit: number): Promise<Video[]> {
    this.#env.assertOpen();
    const out: Video[] = [];
    // A full scan of the videos table: the sweep runs rarely and in the background.
    for (const { value } of this.#videos.getRange()) {
      const x = normalizeVideo(value);
      if (x.state === 'active' && !x.ready && x.createdAt < createdBefore) out.push(x);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Frozen, and reused while the record's bytes are unchanged (lmdb-hot.ts). */
  getVideoNow(id: string): Video | undefined {
    this.#env.assertOpen();
    return this.#hotVideos.get(v.checkId('video id', id));
  }

  async updateVideo(id: string, patch: VideoPatch): Promise<Video | undefined> {
    v.checkId('video id', id);
    checkVideoPatch(patch);
    const changes = pickPatch(patch);
    return this.#env.tx(() => {
      const old = this.#videos.get(id);
      if (old?.state !== 'active') return undefined;
      const x = normalizeVideo({ ...old, ...changes });
      this.#unindexVideo(old);
      this.#videos.put(id, x);
      this.#videosByAuthor.put([x.authorId, x.createdAt, x.id], x);
      this.#public.add(x);
      return x;
    });
  }

  async listPublicVideos(page: PageRequest): Promise<Page<Video>> {
    this.#env.assertOpen();
    return this.#public.list(page);
  }

  async listPublicVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>> {
    this.#env.assertOpen();
    return this.#public.listByAuthor(v.checkId('author id', authorId), page);
  }

  async searchVideos(query: string, page: PageRequest): Promise<Page<Video>> {
    this.#env.assertOpen();
    return this.#public.search(searchWords(String(query)), page);
  }

  async listVideosByAuthor(authorId: string): Promise<Video[]> {
    this.#env.assertOpen();
    v.checkId('author id', authorId);
    return newestFirst(this.#videosByAuthor, authorId).map(normalizeVideo);
  }

  async pageVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>> {
    this.#env.assertOpen();
    v.checkId('author id', authorId);
    return pageNewestFirst(this.#videosByAuthor, authorId, page, normalizeVideo);
  }

  async markVideoDeleting(id: string): Promise<boolean> {
    v.checkId('video id', id);
    return this.#env.tx(() => {
      const x = this.#videos.get(id);
      if (!x) return false;
      this.#unindexVideo(x);
      this.#videos.put(id, { ...x, state: 'deleting' });
      return true;
    });
  }

  async deleteVideos(videoIds: readonly string[]): Promise<void> {
    v.checkIds(videoIds);
    await this.#env.tx(() => {
      for (const id of videoIds) {
        this.#removeComments(id);
        this.#removeVideo(id);
      }
    });
  }

  /** Inside a transaction: the record and its index entries; false if there was none. */
  #removeVideo(id: string): boolean {
    const x = this.#videos.get(id);
    if (!x) return false;
    this.#unindexVideo(x);
    this.#videos.remove(id);
    return true;
  }

  // comments

  async addComment(comment: Comment): Promise<void> {
    v.checkComment(comment);
    const c: Comment = { ...comment };
    await this.#env.tx(() => {
      const old = this.#comments.get(c.id);
      if (old) this.#commentsByVideo.remove([old.videoId, old.createdAt, old.id]);
      this.#comments.put(c.id, c);
      this.#commentsByVideo.put([c.videoId, c.createdAt, c.id], c);
    });
  }

  async listComments(videoId: string): Promise<Comment[]> {
    this.#env.assertOpen();
    v.checkId('video id', videoId);
    return newestFirst(this.#commentsByVideo, videoId);
  }

  async pageComments(videoId: string, page: PageRequest): Promise<Page<Comment>> {
    this.#env.assertOpen();
    v.checkId('video id', videoId);
    return pageNewestFirst(this.#commentsByVideo, videoId, page, (c) => c);
  }

  /** Inside a transaction: every comment of the video; returns how many there were. */
  #removeComments(videoId: string): number {
    let n = 0;
    for (const key of this.#commentsByVideo.getKeys({
      start: [videoId, -1, ''],
      end: [videoId, MAX, ''],
    })) {
      this.#commentsByVideo.remove(key);
      if (this.#comments.remove(key[2]) !== undefined) n++;
    }
    return n;
  }
}
