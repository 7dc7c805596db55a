/**
 * The limiter actor under a real Supervisor (supervisedLimiter, as server.ts runs it). The fault:
 * the limiter's clock (a real option, `clock`) throws once, inside a rate refill tick, which
 * crashes the actor. Before supervision nothing restarted it: the bucket stayed empty for good
 * and stats/reconfigure failed. What must hold: the supervisor restarts it over the same buffer,
 * requests are admitted again (the new incarnation refills), tokens taken before the crash are
 * released exactly once by their holders (no over-release) or reclaimed for a dead holder, and
 * the in-use count returns to 0. Waits are bounded polls; nothing assumes a tick already ran.
 */
import { afterEach, expect, it, vi } from 'vitest';
import {
  LimiterClient,
  reclaimHolder,
  Supervisor,
  type SupervisorEvent,
  supervisedLimiter,
} from '../../src/actors/index.js';

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
});

it('a crashed limiter actor is restarted over the same tokens: admitted again, in-use back to 0', async () => {
  let failNext = false;
  const clock = () => {
    if (!failNext) return performance.now();
    failNext = false;
    throw new Error('fault: the limiter clock failed');
  };
  const events: SupervisorEvent[] = [];
  const l = supervisedLimiter({ capacity: 10, rate: { perSecond: 20, burst: 4 }, clock });
  sup = await Supervisor.start({
    children: [l.child],
    intensity: 3,
    periodMs: 60_000,
    onEvent: (e) => events.push(e),
  });
  const shared = l.ref.shared;
  const c = new LimiterClient(shared);
  const dying = new LimiterClient(shared); // a holder whose thread will be gone after the crash
  // Spend the burst: in-flight requests that span the crash (a synchronous loop: no refill ran).
  let held = 0;
  while (c.tryAcquire()) held++;
  expect(held).toBe(4);
  failNext = true; // the next refill tick throws inside the actor

  await vi.waitFor(() => expect(events.map((e) => e.type)).toContain('restart'), {
    timeout: 30_000,
    interval: 20,
  });
  const restart = events.find((e) => e.type === 'restart')!;
  expect(restart).toMatchObject({ id: 'limiter', exit: { reason: 'crashed' } });
  expect(sup.children()).toEqual([expect.objectContaining({ id: 'limiter', restarts: 1 })]);
  expect(l.ref.shared).toBe(shared); // same buffer: the tokens out were kept
  expect(c.inUse()).toBe(held);

  // Whatever the old incarnation refilled before it crashed goes to the dying holder; the next
  // admission must then come from the new incarnation's refill.
  let dyingHeld = 0;
  while (dying.tryAcquire()) dyingHeld++;
  await vi.waitFor(() => expect(dying.tryAcquire()).toBe(true), { timeout: 30_000, interval: 10 });
  dyingHeld++;

  // The restarted actor answers: statistics count the tokens out across the crash.
  expect((await l.ref.stats()).inUse).toBe(held + dyingHeld);
  await l.ref.reconfigure({ capacity: 10, rate: { perSecond: 20, burst: 4 }, clock });

  // Every holder's token comes back exactly once: released (no over-release error) or reclaimed.
  for (let i = 0; i < held; i++) c.release();
  expect(reclaimHolder(shared, dying.slot)).toBe(dyingHeld);
  expect(c.inUse()).toBe(0);
  expect((await l.ref.stats()).inUse).toBe(0);
  expect(() => c.release()).toThrow(/release/);
}, 60_000);
