/**
 * Property test of the conformance suite: many producers, consumers, selects, aborts and one
 * close, interleaved at random (random runs of microtask yields between operations). Whatever
 * the interleaving: every value whose send succeeded is received exactly once; no value whose
 * send failed (closed, aborted, would block, a losing select case) is ever received.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ChannelLike, recv, select, send } from '../../src/channels/index.js';
import type { Ctx } from './conformance-helpers.js';

const PRODUCER_OPS = ['send', 'trySend', 'abortSend', 'selectSend'] as const;
const CONSUMER_OPS = ['recv', 'iterate', 'tryRecv', 'abortRecv', 'select'] as const;

async function pause(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

const isCode = (e: unknown, code: string) => (e as { code?: string }).code === code;

export function describeProperty(ctx: Ctx): void {
  const useSelect = ctx.opts.select !== false;
  const pOps = useSelect ? PRODUCER_OPS : PRODUCER_OPS.filter((o) => o !== 'selectSend');
  const cOps = useSelect ? CONSUMER_OPS : CONSUMER_OPS.filter((o) => o !== 'select');
  const step = fc.record({ op: fc.nat(pOps.length - 1), wait: fc.nat(6) });
  const scenario = fc.record({
    capacity: fc.nat(3),
    producers: fc.array(fc.array(step, { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
    consumers: fc.array(fc.record({ op: fc.nat(cOps.length - 1), wait: fc.nat(4) }), {
      minLength: 1,
      maxLength: 3,
    }),
    closeAfter: fc.nat(40),
  });

  async function producer(
    ch: ChannelLike<number>,
    id: number,
    steps: { op: number; wait: number }[],
    ok: Set<number>,
    failed: Set<number>,
  ) {
    for (let i = 0; i < steps.length; i++) {
      const { op, wait } = steps[i]!;
      const v = id * 1000 + i * 2;
      await pause(wait);
      try {
        switch (pOps[op]) {
          case 'send':
            await ch.send(v);
            ok.add(v);
            break;
          case 'trySend':
            (ch.trySend(v) ? ok : failed).add(v);
            break;
          case 'abortSend': {
            const ac = new AbortController();
            const p = ch.send(v, ac.signal);
            await pause(wait);
            ac.abort();
            try {
              await p;
              ok.add(v);
            } catch (e) {
              if (!isCode(e, 'ERR_ABORTED')) throw e;
              failed.add(v);
            }
            break;
          }
          case 'selectSend': {
            // The same channel twice: exactly one of the two values may be delivered.
            const r = await select([send(ch, v), send(ch, v + 1)], { default: wait % 2 === 0 });
            if (r.index < 0) failed.add(v).add(v + 1);
            else {
              ok.add(v + r.index);
              failed.add(v + 1 - r.index);
            }
            break;
          }
        }
      } catch (e) {
        if (!isCode(e, 'ERR_SEND_ON_CLOSED')) throw e;
        failed.add(v).add(v + 1);
        return;
      }
    }
  }

  async function consumer(ch: ChannelLike<number>, kind: string, wait: number, got: number[]) {
    const other = useSelect ? await ctx.make<number>(0) : undefined;
    if (kind === 'iterate') {
      for await (const v of ch) {
        got.push(v);
        await pause(wait);
      }
      return;
    }
    for (;;) {
      await pause(wait);
      let r: { ok: boolean; value: number | undefined } | undefined;
      if (kind === 'recv') r = await ch.recv();
      else if (kind === 'tryRecv') r = ch.tryRecv();
      else if (kind === 'select') r = await select([recv(other!), recv(ch), recv(ch)]);
      else {
        const ac = new AbortController();
        const p = ch.recv(ac.signal);
        await pause(wait);
        ac.abort();
        r = await p.catch((e: unknown) => {
          if (!isCode(e, 'ERR_ABORTED')) throw e;
          return undefined;
        });
      }
      if (r === undefined) {
        // Would block: let a task run too, so kinds that wake through tasks are not starved.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (!r.ok) return;
      got.push(r.value!);
    }
  }

  describe('property', () => {
    it('every successfully sent value is received exactly once, no other value ever', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (sc) => {
          const ch = await ctx.make<number>(sc.capacity);
          const ok = new Set<number>();
          const failed = new Set<number>();
          const got: number[] = [];
          const closer = (async () => {
            await pause(sc.closeAfter);
            ch.close();
          })();
          await Promise.all([
            closer,
            ...sc.producers.map((steps, id) => producer(ch, id + 1, steps, ok, failed)),
            ...sc.consumers.map((c) => consumer(ch, cOps[c.op]!, c.wait, got)),
          ]);
          expect(new Set(got).size).toBe(got.length); // never duplicated
          for (const v of got) expect(ok.has(v), `received ${v} whose send failed`).toBe(true);
          expect([...ok].sort((x, y) => x - y)).toEqual([...got].sort((x, y) => x - y)); // never lost
          for (const v of ok) expect(failed.has(v)).toBe(false);
          expect(ch.length).toBe(0);
        }),
        { numRuns: ctx.opts.propertyRuns ?? 100 },
      );
    });
  });
}
