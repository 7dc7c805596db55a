/**
 * The lease that locks one tus upload for the duration of one write, over whatever storage
 * holds the uploads (a file beside it on fs, an object beside it in S3): the storage supplies
 * the operations, this file the protocol.
 *
 * - `create` makes the lease only if none exists (O_EXCL link, `If-None-Match: *`): among every
 *   thread and node exactly one create succeeds; each lease has a version no other lease ever
 *   has (a random token in it);
 * - a write that finds the lease held answers 423 Locked with `Retry-After` (tus-js-client
 *   retries 423 and 409 alike): the client asks HEAD and resumes from the offset the holder
 *   leaves;
 * - the holder refreshes the lease every `refreshMs` while it writes (the heartbeat); a lease not
 *   refreshed for `staleMs` (several refreshes) belongs to a dead thread or node and is taken over:
 *   `takeOver(version)` removes it only if it is still that version and only for one caller —
 *   among any number of takers of one stale lease exactly one removes it, and a lease created
 *   after that is never removed by a late taker; then the create is tried again;
 * - a lease that vanished between the failed create and the inspection was released: the create
 *   is tried again, and nothing is removed that was not seen stale;
 * - the holder writes only while it can prove the lease is its own: a taker sees it stale
 *   `staleMs` after the last create or refresh that succeeded, so the holder's `signal` aborts
 *   one heartbeat before that (`staleMs - refreshMs` after that call was issued) when no refresh
 *   has succeeded since (the storage is unreachable, or slow), and at once when a refresh finds
 *   the lease no longer its own (taken over or removed). The store stops the write there: what it
 *   stored so far was written under the lease, nothing after (see `leased`);
 * - released (removed) when the write ends, whatever the outcome, only if still the holder's; a
 *   refresh in flight is awaited first (S3: it changes the ETag the release is conditioned on)
 *   unless the lease is lost — a refresh never recreates a lease, and one may hang.
 */
import { PassThrough, type Readable } from 'node:stream';
import { HttpError } from '../../common/errors.js';

export interface LeaseTiming {
  /** The holder refreshes its lease this often. */
  refreshMs: number;
  /** A lease not refreshed for this long is a dead writer's; at least 3 × refreshMs. */
  staleMs: number;
}

/** TUS_LEASE_REFRESH_MS / TUS_LEASE_STALE_MS defaults (config.ts). */
export const DEFAULT_LEASE: Readonly<LeaseTiming> = Object.freeze({
  refreshMs: 2000,
  staleMs: 10_000,
});

/** Throws a TypeError naming the option unless `t` is a usable timing. */
export function checkLeaseTiming(t: LeaseTiming, name = 'options.lease'): LeaseTiming {
  if (!Number.isSafeInteger(t.refreshMs) || t.refreshMs < 1)
    throw new TypeError(`${name}.refreshMs must be a positive integer`);
  if (!Number.isSafeInteger(t.staleMs) || t.staleMs < 3 * t.refreshMs)
    throw new TypeError(`${name}.staleMs must be an integer of at least 3 × refreshMs`);
  return t;
}

/** What `inspect` sees of a lease held by someone. */
export interface HeldLease {
  /** Milliseconds since it was created or last refreshed, by the storage's own clock. */
  ageMs: number;
  /** Names this lease and no other, ever. */
  version: string;
}

export interface LeaseOps {
  /** Creates the lease if none exists; false when one does. */
  create(): Promise<boolean>;
  /** The lease held now; undefined when there is none. */
  inspect(): Promise<HeldLease | undefined>;
  /**
   * Removes the lease `stale` (seen older than `staleMs`) if it still is that version and still
   * stale; true when this caller removed it. Of any number of concurrent callers with one
   * `stale`, at most one gets true.
   */
  takeOver(stale: HeldLease, staleMs: number): Promise<boolean>;
  /** Moves the lease's age back to 0; false when it is no longer this holder's (taken, removed). */
  refresh(): Promise<boolean>;
  remove(): Promise<unknown>;
}

/** The error @tus/server turns into a 423 answer; routes.ts adds `Retry-After` from `retry_after`. */
export interface UploadLocked {
  status_code: 423;
  body: string;
}

export function uploadLocked(retryAfterMs: number): UploadLocked {
  const retry_after = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const error = `Another request is writing this upload; retry in ${retry_after} s`;
  // The project's error shape, with its conflict code: a write in progress.
  const body = JSON.stringify({ ...new HttpError('conflict', error).toJSON(), retry_after });
  return { status_code: 423, body };
}

/**
 * Why a write stopped: its lease was taken over or removed (409: another write may hold the
 * upload now), or it could not be refreshed for too long (503: the storage did not answer). The
 * client asks HEAD and resumes from what was stored (tus-js-client retries 409 and 5xx).
 */
export class LeaseLost extends Error {
  readonly status_code: 409 | 503;
  readonly body: string;
  constructor(taken: boolean, silentMs: number) {
    const error = taken
      ? 'Another request took over this upload; ask HEAD for the offset and resume'
      : `The upload's storage did not confirm this write's lease for ${Math.round(silentMs / 1000)} s; ` +
        'the write stopped at the stored offset: ask HEAD and resume';
    super(error);
    const answer = new HttpError(taken ? 'conflict' : 'unavailable', error);
    this.status_code = answer.status as 409 | 503;
    this.body = JSON.stringify(answer.toJSON());
  }
}

/** A lease held by one write. */
export interface Lease {
  /** Aborts, with a LeaseLost as its reason, once the lease can no longer be proven held. */
  readonly signal: AbortSignal;
  /** Stops the heartbeat and removes the lease if it is still this holder's. */
  release(): Promise<void>;
}

/**
 * `body` as the store should read it under `lease`: the same bytes, until the lease is lost;
 * then it fails with the LeaseLost, so the store stops writing there. The request body itself is
 * only unpiped, never destroyed (@tus/server answers with the store's error).
 */
export function leased(lease: Lease, body: Readable): Readable {
  const out = new PassThrough();
  body.on('error', (err) => out.destroy(err));
  body.pipe(out);
  const stop = () => {
    body.unpipe(out);
    out.destroy(lease.signal.reason as Error);
  };
  if (lease.signal.aborted) stop();
  else lease.signal.addEventListener('abort', stop, { once: true });
  return out;
}

/** The error to answer for a write that failed under `lease`: its LeaseLost if it was lost. */
export function leaseError(lease: Lease, err: unknown): unknown {
  return lease.signal.aborted ? lease.signal.reason : err;
}

/** Takes the lease or throws UploadLocked. */
export async function takeLease(
  ops: LeaseOps,
  timing: LeaseTiming = DEFAULT_LEASE,
): Promise<Lease> {
  // When the last create or refresh that succeeded was issued: the lease's age is at most the
  // time since then (performance.now: a step of the wall clock moves no deadline).
  let provenAt = performance.now();
  for (let attempt = 0; !(await ops.create()); attempt++) {
    // Another write of this upload is running (or won the takeover): it ends or goes stale.
    if (attempt > 0) throw uploadLocked(timing.staleMs);
    const held = await ops.inspect();
    if (held === undefined) {
      provenAt = performance.now();
      continue; // released meanwhile: try again, remove nothing
    }
    if (held.ageMs <= timing.staleMs) throw uploadLocked(timing.staleMs - held.ageMs);
    // A dead writer's lease: removed by one taker only; everyone then races for the create.
    if (!(await ops.takeOver(held, timing.staleMs).catch(() => false)))
      throw uploadLocked(timing.refreshMs);
    provenAt = performance.now();
  }
  const lost = new AbortController();
  // Stop one heartbeat before a taker could see the lease stale.
  const window = timing.staleMs - timing.refreshMs;
  const lose = (taken: boolean) => {
    if (!lost.signal.aborted) lost.abort(new LeaseLost(taken, performance.now() - provenAt));
  };
  const arm = (ms: number) => setTimeout(() => lose(false), ms).unref();
  let expiry = arm(window);
  let refreshing: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    // One refresh at a time: a slow store must not pile them up.
    refreshing ??= (async () => {
      const issued = performance.now();
      if (!(await ops.refresh())) return lose(true);
      provenAt = issued;
      clearTimeout(expiry);
      if (!lost.signal.aborted) expiry = arm(issued + window - performance.now());
    })()
      // A failed refresh proves nothing: the expiry stops the write unless a later one succeeds.
      .catch(() => {})
      .finally(() => {
        refreshing = undefined;
      });
  }, timing.refreshMs);
  timer.unref();
  return {
    signal: lost.signal,
    async release() {
      clearInterval(timer);
      // A lost lease is not removed by its refresh (both refreshes are conditioned): no need to
      // wait for one that may hang on a storage that does not answer.
      if (!lost.signal.aborted) await refreshing;
      clearTimeout(expiry);
      await ops.remove().catch(() => {});
    },
  };
}
