/**
 * The channel error catalog. Every error a caller can observe from `src/channels` is a
 * `ChannelError` with a stable `code`; the codes are part of the public contract (they cross
 * threads as `{ code, message }` and are rebuilt with `channelErrorFromCode`).
 *
 * Misuse that Go turns into a panic (send on a closed channel, closing twice, a negative
 * WaitGroup counter) is a coded error here: thrown by synchronous calls, a rejection from
 * asynchronous ones.
 */

export type ChannelErrorCode =
  | 'ERR_SEND_ON_CLOSED'
  | 'ERR_CLOSE_OF_CLOSED'
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_NEGATIVE_WAITGROUP_COUNTER'
  | 'ERR_UNSUPPORTED_CHANNEL'
  | 'ABORT_ERR';

/** Base class: `err instanceof ChannelError` and a stable `err.code`. */
export class ChannelError extends Error {
  readonly code: ChannelErrorCode;
  constructor(code: ChannelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
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
    super('ERR_INVALID_OPTION', message);
  }
}

/** A bad positional argument (a select case that is not a case, a negative duration, …). */
export class InvalidArgumentError extends ChannelError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
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
 * The operation's signal aborted. `name === 'AbortError'` and `code === 'ABORT_ERR'` match
 * Node's own AbortError, so generic abort handling recognises it; `cause` is `signal.reason`.
 */
export class AbortError extends ChannelError {
  constructor(cause?: unknown) {
    super('ABORT_ERR', 'The operation was aborted', { cause });
    this.name = 'AbortError';
  }
}

const byCode: Record<ChannelErrorCode, (message: string) => ChannelError> = {
  ERR_SEND_ON_CLOSED: () => new SendOnClosedError(),
  ERR_CLOSE_OF_CLOSED: () => new CloseOfClosedError(),
  ERR_INVALID_OPTION: (m) => new InvalidOptionError(m),
  ERR_INVALID_ARGUMENT: (m) => new InvalidArgumentError(m),
  ERR_NEGATIVE_WAITGROUP_COUNTER: () => new NegativeWaitGroupCounterError(),
  ERR_UNSUPPORTED_CHANNEL: (m) => new UnsupportedChannelError(m),
  ABORT_ERR: () => new AbortError(),
};

/** Rebuild an error sent across threads as `{ code, message }`; unknown codes stay generic. */
export function channelErrorFromCode(code: string, message: string): ChannelError {
  const make = byCode[code as ChannelErrorCode];
  return make ? make(message) : new ChannelError(code as ChannelErrorCode, message);
}
