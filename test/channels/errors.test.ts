import { describe, expect, it } from 'vitest';
import {
  AbortError,
  CHANNEL_DEFAULTS,
  Channel,
  ChannelError,
  CloseOfClosedError,
  recv,
  SendOnClosedError,
  select,
  UnsupportedChannelError,
} from '../../src/channels/index.js';
import { RemoteError, rebuildError, serializeError } from '../../src/errors.js';

describe('channel errors', () => {
  it('invalid capacity names the option', () => {
    for (const bad of [
      -1,
      1.5,
      Number.NaN,
      '2' as never,
      Number.POSITIVE_INFINITY,
      null as never,
    ]) {
      expect(() => new Channel(bad)).toThrow('options.capacity must be a non-negative integer');
      expect(() => new Channel({ capacity: bad })).toThrow('options.capacity must be');
    }
    expect(new Channel({}).capacity).toBe(0);
    expect(new Channel({ capacity: 3 }).capacity).toBe(3);
    expect(new Channel().capacity).toBe(CHANNEL_DEFAULTS.capacity);
    expect(Object.isFrozen(CHANNEL_DEFAULTS)).toBe(true);
    try {
      new Channel(-1);
    } catch (e) {
      expect(e).toBeInstanceOf(ChannelError);
      expect((e as ChannelError).code).toBe('ERR_CHANNEL_INVALID_OPTION');
    }
  });

  it('every error carries a stable code and survives a {code, message} round trip', () => {
    const errors = [new SendOnClosedError(), new CloseOfClosedError(), new AbortError('r')];
    expect(errors.map((e) => e.code)).toEqual([
      'ERR_SEND_ON_CLOSED',
      'ERR_CLOSE_OF_CLOSED',
      'ERR_ABORTED',
    ]);
    for (const e of errors) {
      const back = rebuildError(structuredClone(serializeError(e)));
      expect(back.constructor).toBe(e.constructor);
      expect(back.message).toBe(e.message);
    }
    expect(new AbortError().name).toBe('AbortError');
    expect(rebuildError({ code: 'ERR_SOMETHING_NEW', message: 'x' })).toBeInstanceOf(RemoteError);
  });

  it('select refuses a channel kind it cannot wait on', async () => {
    const fake = { recv: () => Promise.resolve(), tryRecv: () => undefined } as never;
    await expect(select([recv(fake)])).rejects.toBeInstanceOf(UnsupportedChannelError);
  });
});
