/**
 * The deletion queue of the MongoDB record store: collection `video_del_rec`, `_id` = video id.
 *
 * Invariants
 * - Claims: MongoDB cannot "update the N oldest matching documents and return them" in one
 *   atomic command (updateMany has no limit/sort and does not return documents), so a claim is
 *   three bulk commands: find the N oldest claimable ids, updateMany over those ids with the
 *   claim filter repeated (each document re-checked atomically as it is written), then find
 *   which of them now carry our lease (owner + leaseUntil); repeated while some were lost to a
 *   concurrent claimer and more remain. On a real mongod two claimers can never both win a
 *   document: the second one's filter no longer matches once the first wrote its lease. FerretDB
 *   v1 updates without that per-document check under concurrency, so there two claimers may
 *   both "win" the same record; fencing keeps that safe (only the last writer is the owner; the
 *   other's complete/fail is a no-op), and the executors are idempotent. The conformance suite
 *   names this gap.
 * - Every write after a claim filters on `{_id, state: 'pending', owner}`: a non-owner matches
 *   nothing and writes nothing. The batch calls (renewDeletions, completeDeletions,
 *   releaseDeletions) are one updateMany/deleteMany with the same filter over `_id: {$in}`, so
 *   the fence holds per document.
 */
import type { Collection } from 'mongodb';
import { checkFailures, newDeletion, toDeletion } from './deletion.js';
import {
  completeMany,
  type DelDoc,
  fenced,
  heldLeases,
  type Run,
  renewMany,
} from './mongo-queue-batch.js';
import type { DeletionFailure, DeletionRecord, FailOutcome, HeldDeletion } from './types.js';
import * as v from './validate.js';

export class MongoDeletionQueue {
  readonly #dels: Collection<DelDoc>;
  readonly #run: Run;

  constructor(dels: Collection<DelDoc>, run: Run) {
    this.#dels = dels;
    this.#run = run;
  }

  /** Oldest-first claim scan, and the claimable filter (state, notBefore, lease). */
  async createIndexes(): Promise<void> {
    await this.#dels.createIndex({ state: 1, enqueuedAt: 1, _id: 1 }, { name: 'state_time' });
    await this.#dels.createIndex(
      { state: 1, notBefore: 1, leaseUntil: 1 },
      { name: 'state_notBefore_lease' },
    );
  }

  async enqueueDeletion(videoId: string, now = Date.now(), requestId?: string): Promise<boolean> {
    v.checkId('video id', videoId);
    v.checkTime('now', now);
    v.checkRequestId(requestId);
    const { videoId: _id, ...rest } = newDeletion(videoId, now, requestId);
    const doc: DelDoc = { _id, ...rest, owner: null, leaseUntil: null, lastError: null };
    try {
      await this.#run(() => this.#dels.insertOne(doc));
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_DUPLICATE') return false; // already queued
      throw e;
    }
  }

  /** The same rule as deletion.ts `claimable`, as a query. */
  #claimFilter(now: number) {
    return {
      state: 'pending' as const,
      notBefore: { $lte: now },
      $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }],
    };
  }

  async claimDeletions(
    owner: string,
    limit: number,
    leaseMs: number,
    now = Date.now(),
  ): Promise<DeletionRecord[]> {
    v.checkClaim(owner, limit, leaseMs, now);
    const out: DeletionRecord[] = [];
    const lease = { owner, leaseUntil: now + leaseMs };
    const order = { enqueuedAt: 1, _id: 1 } as const;
    while (out.length < limit) {
      const want = limit - out.length;
      const candidates = await this.#run(() =>
        this.#dels
          .find(this.#claimFilter(now), { projection: { _id: 1 } })
          .sort(order)
          .limit(want)
          .toArray(),
      );
      if (candidates.length === 0) break;
      const ids = candidates.map((d) => d._id);
      // The claim filter again, per document: one a concurrent claimer leased meanwhile no
      // longer matches and stays theirs.
      await this.#run(() =>
        this.#dels.updateMany({ _id: { $in: ids }, ...this.#claimFilter(now) }, { $set: lease }),
      );
      const won = await this.#run(() =>
        this.#dels
          .find({ _id: { $in: ids }, state: 'pending', ...lease })
          .sort(order)
          .toArray(),
      );
      for (const d of won) out.push(toDeletion(d));
      if (candidates.length < want) break; // nothing more was claimable
    }
    return out;
  }

  async failDeletion(
    videoId: string,
    owner: string,
    error: string,
    retryAt: number,
    maxAttempts: number,
  ): Promise<FailOutcome> {
    v.checkId('video id', videoId);
    v.checkOwner(owner);
    v.checkTime('retryAt', retryAt);
    v.checkPositiveInt('maxAttempts', maxAttempts, 1_000_000);
    const lastError = v.truncateError(error);
    const fence = { _id: videoId, state: 'pending' as const, owner };
    const release = { owner: null, leaseUntil: null, lastError };
    // Two fenced single-document updates, split on the attempt count, each atomic by itself:
    // whichever matches decides the outcome; neither matching means we lost the lease.
    const dead = await this.#run(() =>
      this.#dels.updateOne(
        { ...fence, attempts: { $gte: maxAttempts - 1 } },
        { $set: { ...release, state: 'dead' }, $inc: { attempts: 1 } },
      ),
    );
    if (dead.matchedCount === 1) return 'dead';
    const retry = await this.#run(() =>
      this.#dels.updateOne(
        { ...fence, attempts: { $lt: maxAttempts - 1 } },
        { $set: { ...release, notBefore: retryAt }, $inc: { attempts: 1 } },
      ),
    );
    return retry.matchedCount === 1 ? 'retry' : 'lost';
  }

  /** One fenced updateMany, then one query for the ids still ours (mongo-queue-batch.ts). */
  async renewDeletions(
    owner: string,
    videoIds: readonly string[],
    leaseMs: number,
    now = Date.now(),
  ): Promise<string[]> {
    v.checkHeldBatch(owner, videoIds, { leaseMs, now });
    return renewMany(this.#dels, this.#run, owner, videoIds, leaseMs, now);
  }

  async heldDeletions(owner: string, videoIds: readonly string[]): Promise<HeldDeletion[]> {
    v.checkHeldBatch(owner, videoIds);
    if (videoIds.length === 0) return [];
    const held = await heldLeases(this.#dels, this.#run, owner, videoIds);
    return videoIds.flatMap((videoId) => {
      const leaseUntil = held.get(videoId);
      return leaseUntil === undefined ? [] : [{ videoId, leaseUntil }];
    });
  }

  /** The ids we hold, then one fenced deleteMany over them (mongo-queue-batch.ts). */
  async completeDeletions(owner: string, videoIds: readonly string[]): Promise<string[]> {
    v.checkHeldBatch(owner, videoIds);
    return completeMany(this.#dels, this.#run, owner, videoIds);
  }

  async releaseDeletions(owner: string, videoIds: readonly string[]): Promise<number> {
    v.checkHeldBatch(owner, videoIds);
    if (videoIds.length === 0) return 0;
    const r = await this.#run(() =>
      this.#dels.updateMany(fenced(owner, videoIds), { $set: { owner: null, leaseUntil: null } }),
    );
    return r.modifiedCount;
  }

  /**
   * Failures are the exception, and each outcome (retry, dead, lost) must be exact, which a
   * bulk write cannot report per document: the fenced single updates, issued together.
   */
  async failDeletions(
    owner: string,
    failures: readonly DeletionFailure[],
    maxAttempts: number,
  ): Promise<FailOutcome[]> {
    checkFailures(failures);
    v.checkOwner(owner);
    v.checkPositiveInt('maxAttempts', maxAttempts, 1_000_000);
    // Distinct ids in parallel; an id given twice waits for its earlier entry (sequential
    // semantics: the second one finds the lease released and is 'lost').
    const last = new Map<string, Promise<unknown>>();
    const fates = failures.map((f) => {
      const fate = (last.get(f.videoId) ?? Promise.resolve()).then(() =>
        this.failDeletion(f.videoId, owner, f.error, f.retryAt, maxAttempts),
      );
      last.set(
        f.videoId,
        fate.catch(() => {}),
      );
      return fate;
    });
    return Promise.all(fates);
  }

  async getDeletion(videoId: string): Promise<DeletionRecord | undefined> {
    v.checkId('video id', videoId);
    const d = await this.#run(() => this.#dels.findOne({ _id: videoId }));
    return d ? toDeletion(d) : undefined;
  }

  async listDeadDeletions(): Promise<DeletionRecord[]> {
    return this.#run(async () => {
      const docs = await this.#dels
        .find({ state: 'dead' })
        .sort({ enqueuedAt: 1, _id: 1 })
        .toArray();
      return docs.map((d) => toDeletion(d));
    });
  }

  async countDeletions(): Promise<{ pending: number; dead: number }> {
    return this.#run(async () => ({
      pending: await this.#dels.countDocuments({ state: 'pending' }),
      dead: await this.#dels.countDocuments({ state: 'dead' }),
    }));
  }
}
