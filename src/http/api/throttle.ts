/**
 * The api's throttles (RATE_LIMITS), over rate-limiter-flexible limiters kept in the record
 * store (RecordStore.rateLimiter): counters in LMDB are shared by every HTTP thread and process
 * on DATA_DIR, and in MongoDB by every node, so the budget is the configured one however many
 * threads serve the requests.
 *
 * - sign-in: per client address and per account (the folded name); both are spent before the
 *   password is hashed, so a flood is answered 429 without costing a hash. A successful sign-in
 *   clears its account's counter. Trade-off: someone who knows a name can keep its owner from
 *   signing in for one window (at most RATE_LIMITS sign-in-account seconds); the per-address
 *   limit bounds how fast they can do it.
 * - Once a key's budget is spent, its limiter (one per thread) refuses it from memory until the
 *   window ends, with no store write (see RecordStore.rateLimiter). A success that clears an
 *   account's counter lifts that account's block in every thread of the process (a thread that
 *   saw the account over budget in a race with that success would otherwise refuse it until the
 *   window ends): it tells the others the account through `ServiceContext.announceSignIn`,
 *   which the thread entry wires to its host (an event the host relays to every other thread as a
 *   command; that thread's entry calls `liftAccountBlocks`; host.worker.ts). Best effort: a relay
 *   dropped for a thread not reading its commands leaves that block to end with its window.
 *   Without a host (the api tests' in-process server) there is no one to tell. Other accounts'
 *   blocks stay (see `liftBlock`). Other nodes are not told (their blocks end with the window).
 * - sign-up: per client address.
 * - comments: per user.
 * A refusal is a RateLimitedError: 429, error_code 010, `Retry-After` in seconds.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimits } from '../../config.js';
import type { RecordStore } from '../../store/types.js';
import type { ServiceContext } from '../context.js';
import { RateLimitedError } from './rate-limited.js';

type Kind = keyof RateLimits;

const PREFIX: Readonly<Record<Kind, string>> = Object.freeze({
  signInAccount: 'sign-in-account',
  signInAddress: 'sign-in-address',
  signUpAddress: 'sign-up-address',
  commentUser: 'comment-user',
});

const MESSAGE: Readonly<Record<Kind, string>> = Object.freeze({
  signInAccount: 'Too many sign-in attempts for this account; try again later',
  signInAddress: 'Too many sign-in attempts from your address; try again later',
  signUpAddress: 'Too many sign-ups from your address; try again later',
  commentUser: 'You are commenting too fast; try again later',
});

/** Counts under one key for when the client address is unknown (all such callers share it). */
const UNKNOWN_ADDRESS = 'unknown';

/** Every Throttles of this thread (weakly: a context's throttles go with it). */
const live = new Set<WeakRef<Throttles>>();

/**
 * Lifts `account`'s in-memory sign-in block in this thread's throttles, `except` the one that
 * asked (its own limiter's block went with the counter it deleted). The thread entry calls it when
 * another thread of the process reports that the account signed in.
 */
export function liftAccountBlocks(account: string, except?: Throttles): void {
  for (const ref of live) {
    const t = ref.deref();
    if (t === undefined) live.delete(ref);
    else if (t !== except) t.liftAccountBlock(account);
  }
}

/** What rate-limiter-flexible's store limiters keep their in-memory blocks in (not public). */
interface InMemoryBlocks {
  getKey(key: string): string;
  _inMemoryBlockedKeys?: { delete(storeKey: string): void };
}

/**
 * Lifts `limiter`'s in-memory block of `key` alone. The library (v11) has no public call for
 * that: `delete(key)` also deletes the stored counter (here the relay follows a delete the
 * signing-in thread already made; another would erase the failed attempts counted since), and
 * `deleteInMemoryBlockedAll()` lifts every key's, making each other blocked account cost a store
 * write again. Both our limiters (LmdbRateLimiter, RateLimiterMongo) are its store limiters, which
 * keep the blocks by `getKey(key)` in `_inMemoryBlockedKeys`; a limiter without it (a library
 * change) falls back to lifting all, which stays correct, only dearer. That change does not go
 * unnoticed: test/http/throttle-lift.test.ts pins the field on both stores' limiters and fails
 * naming it (and test/hostile/throttle-threads.test.ts sees a bystander's counter move).
 */
function liftBlock(limiter: RateLimiterAbstract, key: string): void {
  const l = limiter as unknown as InMemoryBlocks & Partial<{ deleteInMemoryBlockedAll(): void }>;
  if (l._inMemoryBlockedKeys) l._inMemoryBlockedKeys.delete(l.getKey(key));
  else l.deleteInMemoryBlockedAll?.();
}

export class Throttles {
  readonly #limiters: Record<Kind, RateLimiterAbstract>;
  readonly #tellOthers: ((accountKey: string) => void) | undefined;

  /** `tellOthers`: tells the process's other throttles (other threads) that an account signed in;
   *  absent = nobody else to tell. */
  constructor(records: RecordStore, limits: RateLimits, tellOthers?: (accountKey: string) => void) {
    this.#tellOthers = tellOthers;
    const make = (k: Kind) =>
      records.rateLimiter({
        keyPrefix: PREFIX[k],
        points: limits[k].points,
        durationSec: limits[k].durationSec,
      });
    this.#limiters = {
      signInAccount: make('signInAccount'),
      signInAddress: make('signInAddress'),
      signUpAddress: make('signUpAddress'),
      commentUser: make('commentUser'),
    };
    live.add(new WeakRef(this));
  }

  /** Forgets the in-memory block of `account` (the store's counter still decides). */
  liftAccountBlock(account: string): void {
    liftBlock(this.#limiters.signInAccount, account);
  }

  /** Spends one point of `kind` for `key`; RateLimitedError when the budget is gone. */
  async #spend(kind: Kind, key: string): Promise<void> {
    try {
      await this.#limiters[kind].consume(key);
    } catch (err) {
      // The library rejects with a RateLimiterRes when over budget, with an Error when its store
      // failed (that one propagates: a 500 naming the store, never a silent pass).
      if (err instanceof RateLimiterRes) {
        throw new RateLimitedError(err.msBeforeNext / 1000, MESSAGE[kind]);
      }
      throw err;
    }
  }

  async signIn(accountKey: string, address: string | undefined): Promise<void> {
    await this.#spend('signInAddress', address ?? UNKNOWN_ADDRESS);
    await this.#spend('signInAccount', accountKey);
  }

  /** A successful sign-in: the account's failed attempts no longer count, in any thread. */
  async signedIn(accountKey: string): Promise<void> {
    await this.#limiters.signInAccount.delete(accountKey);
    liftAccountBlocks(accountKey, this);
    this.#tellOthers?.(accountKey);
  }

  signUp(address: string | undefined): Promise<void> {
    return this.#spend('signUpAddress', address ?? UNKNOWN_ADDRESS);
  }

  comment(userId: string): Promise<void> {
    return this.#spend('commentUser', userId);
  }
}

const byContext = new WeakMap<ServiceContext, Throttles>();

/** The throttles of a service context (made on first use; limiters are cheap, counters shared). */
export function throttlesOf(ctx: ServiceContext): Throttles {
  let t = byContext.get(ctx);
  if (!t) {
    t = new Throttles(ctx.records, ctx.config.rateLimits, ctx.announceSignIn);
    byContext.set(ctx, t);
  }
  return t;
}
