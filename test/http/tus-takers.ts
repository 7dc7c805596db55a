/**
 * Many takers of one upload's stale lease at once (tus-lease-{fs,s3}.test.ts): each store
 * instance (a thread's or a node's) starts a write of `id` at offset 0 with a body that does not
 * end; `spread(i)` paces their starts so their steps (create, inspect, take over, create)
 * interleave in many orders rather than in lockstep. Asserts that exactly one holds the lease
 * (is reading its body) and every other is refused with 423, then lets the holder finish.
 */
import { Readable } from 'node:stream';
import type { DataStore } from '@tus/utils';
import { expect, vi } from 'vitest';

export async function exactlyOneTaker(
  takers: DataStore[],
  id: string,
  spread: (i: number) => Promise<unknown>,
): Promise<void> {
  const started: number[] = [];
  const settled: unknown[] = [];
  const bodies = takers.map(
    (_, i) =>
      new Readable({
        read() {
          if (!started.includes(i)) started.push(i); // this taker holds the lease
        },
      }),
  );
  const writes: Promise<unknown>[] = [];
  for (const [i, t] of takers.entries()) {
    writes.push(
      t.write(bodies[i] as Readable, id, 0).then(
        (n) => settled.push(n),
        (err: { status_code?: number }) => settled.push(err.status_code),
      ),
    );
    await spread(i);
  }
  // Every taker is either refused or holding the lease (reading a body that never ends yet).
  await vi.waitFor(() => expect(settled.length + started.length).toBe(takers.length), {
    timeout: 90_000,
    interval: 50,
  });
  expect(started).toHaveLength(1);
  expect(settled).toEqual(Array(takers.length - 1).fill(423));
  for (const i of started) bodies[i]?.push(null);
  await Promise.all(writes);
  expect(settled.filter((r) => r === 0)).toHaveLength(1); // the holder wrote its 0 bytes
}
