import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CrossThreadChannel } from '../../src/channels/index.js';

// The 'json' codec reads runs of adjacent slots as one JSON array (cross-thread-json.ts): these
// check that a run gives back exactly the values sent, whatever their text holds and however
// runs are cut (ring wrap-around, tombstones of aborted senders, shorter values over longer).

const jsonValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'grapheme', maxLength: 12 }), // quotes, commas, brackets, non-ASCII
  fc.constantFrom(null, true, false, '', ' , ] [ " \\', '\u2028é😀'),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer(), fc.string({ maxLength: 6 })), {
    maxKeys: 3,
  }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 4 }),
);

describe("CrossThreadChannel 'json' codec runs", () => {
  it('a batch receive returns exactly the values sent, in order (model-based)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(jsonValue, { maxLength: 12 }), fc.integer({ min: 1, max: 9 })), {
          maxLength: 30,
        }),
        (steps) => {
          // 7 + 16 parked = 32 slots: runs are cut where the ring wraps.
          const ch = new CrossThreadChannel<unknown>({
            capacity: 7,
            codec: 'json',
            slotBytes: 256,
          });
          const model: unknown[] = [];
          for (const [values, take] of steps) {
            // What a JSON round trip gives (-0 becomes 0): the codec's contract.
            const sent = values.slice(0, ch.trySendMany(values));
            model.push(...sent.map((v) => JSON.parse(JSON.stringify(v))));
            const got = ch.tryRecvMany(take) ?? [];
            expect(got).toEqual(model.splice(0, got.length));
            expect(got.length).toBe(Math.min(take, got.length + model.length));
          }
          expect(ch.tryRecvMany(64) ?? []).toEqual(model);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a shorter value over a longer one and tombstones inside a run do not leak old text', async () => {
    const ch = new CrossThreadChannel<unknown>({ capacity: 2, codec: 'json', slotBytes: 64 });
    const long = { text: 'x'.repeat(40) };
    for (let round = 0; round < 20; round++) {
      await ch.sendMany([long, long]);
      expect(ch.tryRecvMany(8)).toEqual([long, long]);
      await ch.sendMany([1, 'é']); // reuses the same slots with shorter texts
      // A parked sender that aborts leaves a tombstone after the buffered values.
      const ac = new AbortController();
      const parked = ch.send({ parked: round }, ac.signal);
      const behind = ch.send([round]);
      ac.abort();
      await expect(parked).rejects.toMatchObject({ code: 'ERR_ABORTED' });
      const got: unknown[] = [];
      while (got.length < 3) got.push(...(ch.tryRecvMany(8) ?? (await ch.recvMany(8))));
      await behind;
      expect(got).toEqual([1, 'é', [round]]);
    }
  });

  it('a batch send gives what value-by-value sends give, errors included (nothing sent)', () => {
    const ch = new CrossThreadChannel<unknown>({ capacity: 16, codec: 'json', slotBytes: 32 });
    const date = new Date(0);
    expect(ch.trySendMany([1, Number.NaN, Infinity, date, null, 'a"\\,]'])).toBe(6);
    expect(ch.tryRecvMany(16)).toEqual([1, null, null, date.toJSON(), null, 'a"\\,]']);
    const refused = [
      [1, undefined],
      [1, () => 2],
      [1, { toJSON: () => undefined }],
      [1, 'x'.repeat(40)],
      [1, 2n],
    ];
    for (const batch of refused) {
      expect(() => ch.trySendMany(batch)).toThrow(
        expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_ARGUMENT' }),
      );
    }
    expect(() => ch.trySendMany([1, 'x'.repeat(40)])).toThrow(/options.slotBytes \(32\)/);
    expect(ch.length).toBe(0);
  });

  it('a value needs one byte less than slotBytes (the run separator); errors name the option', () => {
    const ch = new CrossThreadChannel<unknown>({ capacity: 2, codec: 'json', slotBytes: 8 });
    expect(ch.trySend('12345')).toBe(true); // "12345" with quotes: 7 bytes
    expect(() => ch.trySend('123456')).toThrow(/options.slotBytes \(8\)/);
    expect(() => ch.trySend(undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_ARGUMENT' }),
    );
    expect(ch.tryRecvMany(4)).toEqual(['12345']);
  });
});
