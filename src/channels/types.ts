/**
 * The public channel interfaces. `Channel<T>` implements both views; hand out a
 * `RecvChannel<T>` to consumers and a `SendChannel<T>` to producers so the type system says who
 * may close (only the sending side, as in Go).
 */

/** What a receive yields: `ok` is false only once the channel is closed and drained. */
export type RecvResult<T> = { value: T; ok: true } | { value: undefined; ok: false };

/** Go's `<-chan T`: receive, iterate, inspect. */
export interface RecvChannel<T> extends AsyncIterable<T> {
  /** Resolves with the next value, or `{ ok: false }` once closed and drained. */
  recv(signal?: AbortSignal): Promise<RecvResult<T>>;
  /** Receive without waiting: `undefined` when it would block. */
  tryRecv(): RecvResult<T> | undefined;
  /** Values buffered now (always 0 for an unbuffered channel). */
  readonly length: number;
  readonly capacity: number;
}

/** Go's `chan<- T`: send, close, inspect. */
export interface SendChannel<T> {
  /** Resolves once the value is delivered (unbuffered) or buffered; rejects if closed. */
  send(value: T, signal?: AbortSignal): Promise<void>;
  /** Send without waiting: `false` when it would block; throws if closed. */
  trySend(value: T): boolean;
  /** Throws `ERR_CLOSE_OF_CLOSED` the second time. */
  close(): void;
  readonly length: number;
  readonly capacity: number;
}

/** Both directions: what the conformance suite exercises for every channel kind. */
export interface ChannelLike<T> extends RecvChannel<T>, SendChannel<T> {}
