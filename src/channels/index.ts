/** Go channel semantics for TypeScript: the public surface of src/channels. */
export { CHANNEL_DEFAULTS, Channel, type ChannelOptions } from './channel.js';
export {
  CROSS_THREAD_DEFAULTS,
  CrossThreadChannel,
  type CrossThreadChannelOptions,
} from './cross-thread.js';
export type { CodecName } from './cross-thread-codecs.js';
export {
  createPortChannel,
  type PortChannelEnd,
  PortReceiver,
  PortSender,
} from './cross-thread-port.js';
export { done } from './done.js';
export {
  AbortError,
  ChannelError,
  type ChannelErrorCode,
  CloseOfClosedError,
  InvalidArgumentError,
  InvalidOptionError,
  NegativeWaitGroupCounterError,
  SendOnClosedError,
  UnsupportedChannelError,
} from './errors.js';
export {
  type RecvCase,
  recv,
  type SelectCase,
  type SelectOptions,
  type SelectResult,
  type SendCase,
  select,
  send,
  trySelect,
} from './select.js';
export { after, sleep, type Ticker, type TimerOptions, ticker } from './timers.js';
export type { ChannelLike, RecvChannel, RecvResult, SendChannel } from './types.js';
export { WaitGroup } from './wait-group.js';
