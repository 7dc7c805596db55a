/**
 * The channel errors, in the project's one catalog (src/errors.ts). Every error a caller can
 * observe from `src/channels` is a `ChannelError` with a stable `code`; the codes are part of the
 * public contract (they cross threads as `{ code, message }` and are rebuilt with `rebuildError`).
 *
 * Misuse that Go turns into a panic (send on a closed channel, closing twice, a negative
 * WaitGroup counter) is a coded error here: thrown by synchronous calls, a rejection from
 * asynchronous ones.
 */

import { defineErrors, VideoServerError } from '../errors.js';

export type ChannelErrorCode =
  | 'ERR_SEND_ON_CLOSED'
  | 'ERR_CLOSE_OF_CLOSED'
  | 'ERR_CHANNEL_INVALID_OPTION'
  | 'ERR_CHANNEL_INVALID_ARGUMENT'
  | 'ERR_NEGATIVE_WAITGROUP_COUNTER'
  | 'ERR_UNSUPPORTED_CHANNEL'
  | 'ERR_ABORTED';

/** Base class: `err instanceof ChannelError` and a stable `err.code`. */
export class ChannelError extends VideoServerError {
  declare readonly code: ChannelErrorCode;
  constructor(code: ChannelErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ChannelError';
  }
}

/** Go: "panic: send on closed channel" — also for a sender blocked when the close happens. */
export class SendOnClosedError extends ChannelError {
  constructor() {
    super('ERR_SEND_ON_CLOSED', 'send on closed channel');
  }
}

/** Go: "panic: close of closed channel". */
export class CloseOfClosedError extends ChannelError {
  constructor() {
    super('ERR_CLOSE_OF_CLOSED', 'close of closed channel');
  }
}

/** A bad option; the message names it (`options.capacity must be a non-negative integer`). */
export class InvalidOptionError extends ChannelError {
  constructor(message: string) {
    super('ERR_CHANNEL_INVALID_OPTION', message);
  }
}

/** A bad positional argument (a select case that is not a case, a negative duration, …). */
export class InvalidArgumentError extends ChannelError {
  constructor(message: string) {
    super('ERR_CHANNEL_INVALID_ARGUMENT', message);
  }
}

/** Go: "sync: negative WaitGroup counter". */
export class NegativeWaitGroupCounterError extends ChannelError {
  constructor() {
    super('ERR_NEGATIVE_WAITGROUP_COUNTER', 'negative WaitGroup counter');
  }
}

/** `select` was given a channel kind it cannot wait on (only in-thread `Channel`s). */
export class UnsupportedChannelError extends ChannelError {
  constructor(message: string) {
    super('ERR_UNSUPPORTED_CHANNEL', message);
  }
}

/**
 * The operation's signal aborted. `name === 'AbortError'` matches Node's own AbortError, so
 * generic abort handling recognises it (the code follows the project's `ERR_` prefix, not Node's
 * `ABORT_ERR`); `cause` is `signal.reason`.
 */
export class AbortError extends ChannelError {
  constructor(cause?: unknown) {
    super('ERR_ABORTED', 'The operation was aborted', { cause });
    this.name = 'AbortError';
  }
}

defineErrors('channels', {
  ERR_SEND_ON_CLOSED: SendOnClosedError,
  ERR_CLOSE_OF_CLOSED: CloseOfClosedError,
  ERR_CHANNEL_INVALID_OPTION: InvalidOptionError,
  ERR_CHANNEL_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_NEGATIVE_WAITGROUP_COUNTER: NegativeWaitGroupCounterError,
  ERR_UNSUPPORTED_CHANNEL: UnsupportedChannelError,
  ERR_ABORTED: AbortError,
});
