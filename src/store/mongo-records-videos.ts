/**
 * The video and comment records of the MongoDB record store (mongo-records.ts holds the
 * lifecycle, users, sessions and rate limits; mongo-videos.ts the video documents' derived
 * fields, listings and optimistic updates). Every driver call goes through the store's `run`,
 * which refuses once the store is closing and maps driver failures to StoreError.
 */
import type { Collection, Db } from 'mongodb';
import {
  afterCursor,
  createVideoIndexes,
  updateVideoDoc,
  type VideoDoc,
  videoDoc,
  videoFromDoc,
  videoPage,
} from './mongo-videos.js';
import type { Comment, NewVideo, Page, PageRequest, Video, VideoPatch } from './types.js';
import * as v from './validate.js';
import { checkNewVideo, checkPage, checkVideoPatch, searchWords, toPage } from './video-fields.js';

/** A record as stored: its id is the document's `_id`. */
export type Doc<T extends { id: string }> = Omit<T, 'id'> & { _id: string };

export function toDoc<T extends { id: string }>(x: T): Doc<T> {
  const { id, ...rest } = x;
  return { _id: id, ...rest } as Doc<T>;
}

export function fromDoc<T extends { id: string }>(d: Doc<T> | null): T | undefined {
  if (!d) return undefined;
  const { _id, ...rest } = d;
  return { id: _id, ...rest } as unknown as T;
}

/** Runs one driver call for the store (`what` names the record in a duplicate error). */
export type MongoRun = <T>(fn: () => Promise<T>, what?: string) => Promise<T>;

/** Videos and comments; MongoRecordStore (mongo-records.ts) adds the rest. */
export class MongoVideoRecords {
  readonly #videos: Collection<VideoDoc>;
  readonly #comments: Collection<Doc<Comment>>;
  readonly #run: MongoRun;

  constructor(db: Db, run: MongoRun) {
    this.#videos = db.collection('videos');
    this.#comments = db.collection('comments');
    this.#run = run;
  }

  /** Indexes of the author's list and of each video's comments (and mongo-videos.ts's). */
  protected async createVideoRecordIndexes(): Promise<void> {
    await this.#videos.createIndex(
      { authorId: 1, createdAt: -1, _id: -1 },
      { name: 'author_time' },
    );
    await createVideoIndexes(this.#videos);
    await this.#comments.createIndex(
      { videoId: 1, createdAt: -1, _id: -1 },
      { name: 'video_time' },
    );
  }

  // videos

  async createVideo(video: NewVideo): Promise<void> {
    const d = videoDoc(checkNewVideo(video));
    await this.#run(() => this.#videos.replaceOne({ _id: d._id }, d, { upsert: true }));
  }

  async getVideo(id: string): Promise<Video | undefined> {
    v.checkId('video id', id);
    return this.#run(async () => videoFromDoc(await this.#videos.findOne({ _id: id })));
  }

  async listStaleUploads(createdBefore: number, limit: number): Promise<Video[]> {
    return this.#run(async () => {
      const docs = await this.#videos
        .find({ state: 'active', ready: false, createdAt: { $lt: createdBefore } })
        .limit(limit)
        .toArray();
      return docs.map((d) => videoFromDoc(d)).filter((x): x is Video => x !== undefined);
    });
  }

  async updateVideo(id: string, patch: VideoPatch): Promise<Video | undefined> {
    v.checkId('video id', id);
    checkVideoPatch(patch);
    return this.#run(() => updateVideoDoc(this.#videos, id, patch));
  }

  async listPublicVideos(page: PageRequest): Promise<Page<Video>> {
    return this.#run(() => videoPage(this.#videos, { listed: true }, page));
  }

  async listPublicVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>> {
    v.checkId('author id', authorId);
    return this.#run(() => videoPage(this.#videos, { listed: true, authorId }, page));
  }

  async searchVideos(query: string, page: PageRequest): Promise<Page<Video>> {
    const words = searchWords(String(query));
    if (words.length === 0) return this.#run(async () => ({ items: [], next: undefined }));
    return this.#run(() => videoPage(this.#videos, { words: { $all: words } }, page));
  }

  async listVideosByAuthor(authorId: string): Promise<Video[]> {
    v.checkId('author id', authorId);
    return this.#run(async () => {
      const docs = await this.#videos
        .find({ authorId, state: 'active' })
        .sort({ createdAt: -1, _id: -1 })
        .toArray();
      return docs.map((d) => videoFromDoc(d) as Video);
    });
  }

  async pageVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>> {
    v.checkId('author id', authorId);
    return this.#run(() => videoPage(this.#videos, { authorId, state: 'active' }, page));
  }

  async markVideoDeleting(id: string): Promise<boolean> {
    v.checkId('video id', id);
    return this.#run(
      async () =>
        (
          await this.#videos.updateOne(
            { _id: id },
            { $set: { state: 'deleting', listed: false, words: [] }, $inc: { rev: 1 } },
          )
        ).matchedCount === 1,
    );
  }

  async deleteVideos(videoIds: readonly string[]): Promise<void> {
    const ids = [...v.checkIds(videoIds)];
    // Comments first: were the second command lost, a retry still finds the videos to remove.
    await this.#run(() => this.#comments.deleteMany({ videoId: { $in: ids } }));
    await this.#run(() => this.#videos.deleteMany({ _id: { $in: ids } }));
  }

  // comments

  async addComment(comment: Comment): Promise<void> {
    v.checkComment(comment);
    const d = toDoc({ ...comment });
    await this.#run(() => this.#comments.replaceOne({ _id: d._id }, d, { upsert: true }));
  }

  async listComments(videoId: string): Promise<Comment[]> {
    v.checkId('video id', videoId);
    return this.#run(async () => {
      const docs = await this.#comments
        .find({ videoId })
        .sort({ createdAt: -1, _id: -1 })
        .toArray();
      return docs.map((d) => fromDoc<Comment>(d) as Comment);
    });
  }

  async pageComments(videoId: string, page: PageRequest): Promise<Page<Comment>> {
    v.checkId('video id', videoId);
    const cursor = checkPage(page);
    return this.#run(async () => {
      const docs = await this.#comments
        .find({ videoId, ...afterCursor<Doc<Comment>>(cursor) })
        .sort({ createdAt: -1, _id: -1 })
        .limit(page.limit + 1)
        .toArray();
      return toPage(
        docs.map((d) => fromDoc<Comment>(d) as Comment),
        page.limit,
      );
    });
  }
}
