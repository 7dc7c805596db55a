import { describe, expect, it } from 'vitest';
import { Channel, type RecvChannel, type SendChannel } from '../../src/channels/index.js';

// Compile-time checks (npm run typecheck): a receive-only view cannot send or close, a send-only
// view cannot receive. The `@ts-expect-error` lines fail the typecheck if the views widen.
function producer(out: SendChannel<number>): Promise<void> {
  // @ts-expect-error a SendChannel has no recv
  void out.recv;
  return out.send(1);
}

async function consumer(input: RecvChannel<number>): Promise<number[]> {
  // @ts-expect-error a RecvChannel cannot close
  void input.close;
  // @ts-expect-error a RecvChannel cannot send
  void input.trySend;
  const got: number[] = [];
  for await (const v of input) got.push(v);
  return got;
}

describe('read-only / send-only views', () => {
  it('one Channel serves as both views', async () => {
    const ch = new Channel<number>(1);
    const got = consumer(ch);
    await producer(ch);
    ch.close();
    expect(await got).toEqual([1]);
  });
});
