/**
 * The deletion queue of the LMDB record store (see lmdb-records.ts for the rules, lmdb-env.ts for
 * the environment).
 *
 * Invariants
 * - `deletions` holds every record by video id; `delPending` holds the key
 *   [enqueuedAt, videoId] of exactly the `pending` ones (same transaction as the record), so a
 *   claim scans oldest first and skips leased or backed-off records (rule: deletion.ts).
 * - heldDeletions and the getters read without a transaction (no write lock).
 * - Every other operation below is ONE write transaction, a batch call included (renewDeletions,
 *   completeDeletions, releaseDeletions, failDeletions; failDeletion is a batch of one). LMDB serializes write
 *   transactions across threads and processes, and reads inside the callback see the latest
 *   committed state: the read-check-write of a claim or a fenced complete/renew/fail is atomic.
 *   So two claimers never get the same record, and a non-owner's write is a no-op.
 * - An id given twice in one batch call acts once, as with MongoDB: reads in the callback also
 *   see this transaction's own writes, so the second finds the record no longer held (complete
 *   and release skip it; fail reports 'lost').
 */
import type { Database, RootDatabase } from 'lmdb';
import { checkFailures, claimable, newDeletion, toDeletion } from './deletion.js';
import type { DeletionFailure, DeletionRecord, FailOutcome, HeldDeletion } from './types.js';
import * as v from './validate.js';

type DelRow = Omit<DeletionRecord, 'owner' | 'leaseUntil' | 'lastError'> & {
  owner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
};

type Tx = <T>(fn: () => T) => Promise<T>;

export class LmdbDeletionQueue {
  readonly #dels: Database<DelRow, string>;
  readonly #delPending: Database<null, [number, string]>;
  readonly #tx: Tx;
  readonly #assertOpen: () => void;

  constructor(root: RootDatabase, tx: Tx, assertOpen: () => void) {
    this.#dels = root.openDB<DelRow, string>({ name: 'deletions', encoding: 'msgpack' });
    this.#delPending = root.openDB<null, [number, string]>({
      name: 'delPending',
      encoding: 'msgpack',
    });
    this.#tx = tx;
    this.#assertOpen = assertOpen;
  }

  async enqueueDeletion(videoId: string, now = Date.now(), requestId?: string): Promise<boolean> {
    v.checkId('video id', videoId);
    v.checkTime('now', now);
    v.checkRequestId(requestId);
    return this.#tx(() => {
      if (this.#dels.get(videoId) !== undefined) return false;
      const row = toRow(newDeletion(videoId, now, requestId));
      this.#dels.put(videoId, row);
      this.#delPending.put([row.enqueuedAt, videoId], null);
      return true;
    });
  }

  async claimDeletions(
    owner: string,
    limit: number,
    leaseMs: number,
    now = Date.now(),
  ): Promise<DeletionRecord[]> {
    v.checkClaim(owner, limit, leaseMs, now);
    return this.#tx(() => {
      const out: DeletionRecord[] = [];
      for (const key of this.#delPending.getKeys()) {
        const row = this.#dels.get(key[1]);
        if (!row || !claimable(toDeletion(row), now)) continue;
        const next: DelRow = { ...row, owner, leaseUntil: now + leaseMs };
        this.#dels.put(row.videoId, next);
        out.push(toDeletion(next));
        if (out.length >= limit) break;
      }
      return out;
    });
  }

  /**
   * Inside a transaction: the record while `owner` is its recorded owner (fencing), else
   * undefined. An expired lease still counts until someone else claims it: the owner's work is
   * as good as done then.
   */
  #held(videoId: string, owner: string): DelRow | undefined {
    const row = this.#dels.get(videoId);
    return row?.state === 'pending' && row.owner === owner ? row : undefined;
  }

  async renewDeletions(
    owner: string,
    videoIds: readonly string[],
    leaseMs: number,
    now = Date.now(),
  ): Promise<string[]> {
    v.checkHeldBatch(owner, videoIds, { leaseMs, now });
    return this.#tx(() =>
      videoIds.filter((id) => {
        const row = this.#held(id, owner);
        if (row) this.#dels.put(id, { ...row, leaseUntil: now + leaseMs });
        return row !== undefined;
      }),
    );
  }

  /**
   * Outside a transaction, on a fresh snapshot: lmdb-js keeps a thread's read transaction until
   * a timer resets it, so without the reset a pool thread missed a claim the dispatcher thread
   * had just committed in 30 of 200 tries (and renewed those leases needlessly).
   */
  async heldDeletions(owner: string, videoIds: readonly string[]): Promise<HeldDeletion[]> {
    v.checkHeldBatch(owner, videoIds);
    this.#assertOpen();
    this.#dels.resetReadTxn();
    const out: HeldDeletion[] = [];
    for (const videoId of videoIds) {
      const row = this.#held(videoId, owner);
      if (row) out.push({ videoId, leaseUntil: row.leaseUntil ?? 0 });
    }
    return out;
  }

  async completeDeletions(owner: string, videoIds: readonly string[]): Promise<string[]> {
    v.checkHeldBatch(owner, videoIds);
    return this.#tx(() =>
      videoIds.filter((id) => {
        const row = this.#held(id, owner);
        if (!row) return false;
        this.#dels.remove(id);
        this.#delPending.remove([row.enqueuedAt, id]);
        return true;
      }),
    );
  }

  async releaseDeletions(owner: string, videoIds: readonly string[]): Promise<number> {
    v.checkHeldBatch(owner, videoIds);
    return this.#tx(() => {
      let n = 0;
      for (const id of videoIds) {
        const row = this.#held(id, owner);
        if (!row) continue;
        this.#dels.put(id, { ...row, owner: null, leaseUntil: null });
        n++;
      }
      return n;
    });
  }

  async failDeletion(
    videoId: string,
    owner: string,
    error: string,
    retryAt: number,
    maxAttempts: number,
  ): Promise<FailOutcome> {
    const [fate] = await this.failDeletions(owner, [{ videoId, error, retryAt }], maxAttempts);
    return fate!;
  }

  async failDeletions(
    owner: string,
    failures: readonly DeletionFailure[],
    maxAttempts: number,
  ): Promise<FailOutcome[]> {
    const fs = checkFailures(failures);
    v.checkOwner(owner);
    v.checkPositiveInt('maxAttempts', maxAttempts, 1_000_000);
    return this.#tx(() =>
      fs.map(({ videoId, lastError, retryAt }): FailOutcome => {
        const row = this.#held(videoId, owner);
        if (!row) return 'lost';
        const attempts = row.attempts + 1;
        const dead = attempts >= maxAttempts;
        const next: DelRow = {
          ...row,
          attempts,
          lastError,
          owner: null,
          leaseUntil: null,
          state: dead ? 'dead' : 'pending',
          notBefore: dead ? row.notBefore : retryAt,
        };
        this.#dels.put(videoId, next);
        if (dead) this.#delPending.remove([row.enqueuedAt, videoId]);
        return dead ? 'dead' : 'retry';
      }),
    );
  }

  async getDeletion(videoId: string): Promise<DeletionRecord | undefined> {
    this.#assertOpen();
    const row = this.#dels.get(v.checkId('video id', videoId));
    return row && toDeletion(row);
  }

  async listDeadDeletions(): Promise<DeletionRecord[]> {
    this.#assertOpen();
    const out: DeletionRecord[] = [];
    for (const { value } of this.#dels.getRange()) {
      if (value.state === 'dead') out.push(toDeletion(value));
    }
    return out.sort((a, b) => a.enqueuedAt - b.enqueuedAt || cmp(a.videoId, b.videoId));
  }

  async countDeletions(): Promise<{ pending: number; dead: number }> {
    this.#assertOpen();
    const pending = this.#delPending.getKeysCount();
    return { pending, dead: this.#dels.getKeysCount() - pending };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toRow(d: DeletionRecord): DelRow {
  return {
    ...d,
    owner: d.owner ?? null,
    leaseUntil: d.leaseUntil ?? null,
    lastError: d.lastError ?? null,
  };
}
