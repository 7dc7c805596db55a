import { describe, expect, it } from 'vitest';
import {
  ActorCrashedError,
  ActorStoppedError,
  AskTimeoutError,
  type DeadLetter,
  DeadLetters,
  InvalidArgumentError,
  spawn,
} from '../../src/actors/index.js';
import { Channel } from '../../src/channels/index.js';

const T = { timeout: 5000 };

describe('spawn / tell / ask / stop', () => {
  it('asks get the behaviour’s return value; messages are handled one at a time in order', async () => {
    const seen: number[] = [];
    let active = 0;
    const a = spawn<number, number>(async (n) => {
      active++;
      expect(active).toBe(1);
      await Promise.resolve();
      seen.push(n);
      active--;
      return n * 2;
    });
    await a.tell(1);
    await a.tell(2);
    expect(await a.ask(3, T)).toBe(6);
    expect(seen).toEqual([1, 2, 3]);
    await a.stop();
  });

  it('tell waits for mailbox room (backpressure)', async () => {
    const gate = new Channel<void>(0);
    const a = spawn<number>(async () => void (await gate.recv()), { mailbox: 1 });
    await a.tell(1); // taken by the behaviour, which now blocks on the gate
    await a.tell(2); // fills the mailbox (capacity 1)
    let third = false;
    const p = a.tell(3).then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false); // still waiting for room
    await gate.send(); // behaviour finishes message 1, takes message 2 → room for 3
    await p;
    expect(third).toBe(true);
    await gate.send();
    await gate.send();
    await a.stop();
  });

  it('stop drains queued messages, runs `stopped`, is idempotent; later messages are dead letters', async () => {
    const dead = new DeadLetters();
    const letters: DeadLetter[] = [];
    dead.subscribe((l) => letters.push(l));
    const seen: string[] = [];
    const a = spawn<string>(
      { receive: (m) => void seen.push(m), stopped: () => void seen.push('stopped') },
      { name: 'drainer', deadLetters: dead },
    );
    const tells = [a.tell('a'), a.tell('b')];
    const s1 = a.stop();
    const s2 = a.stop();
    expect(s2).toBe(s1);
    await Promise.all([...tells, s1]);
    expect(seen).toEqual(['a', 'b', 'stopped']);
    expect(a.running).toBe(false);
    expect(await a.exited).toEqual({ reason: 'stopped' });
    await a.tell('late');
    await expect(a.ask('late-ask', T)).rejects.toBeInstanceOf(ActorStoppedError);
    expect(letters).toEqual([
      { actor: 'drainer', message: 'late', reason: 'stopped', ask: false },
      { actor: 'drainer', message: 'late-ask', reason: 'stopped', ask: true },
    ]);
    await a.stop(); // third call after exit: fine
  });

  it('ask rejects ERR_ASK_TIMEOUT when no reply comes in time', async () => {
    const gate = new Channel<void>(0);
    const a = spawn<void>(async () => void (await gate.recv()));
    const err = await a.ask(undefined, { timeout: 20 }).catch((e) => e);
    expect(err).toBeInstanceOf(AskTimeoutError);
    expect(err.code).toBe('ERR_ASK_TIMEOUT');
    gate.close();
    await a.stop();
  });

  it('a crash rejects the current and queued asks with ERR_ACTOR_CRASHED', async () => {
    const dead = new DeadLetters();
    const gate = new Channel<void>(0);
    const a = spawn<string, string>(
      async (m) => {
        await gate.recv();
        if (m === 'boom') throw new Error('kaput');
        return m;
      },
      { deadLetters: dead },
    );
    const first = a.ask('boom', T);
    const queued = a.ask('queued', T);
    const told = a.tell('told');
    await told;
    await gate.send();
    const e1 = await first.catch((e) => e);
    const e2 = await queued.catch((e) => e);
    expect(e1).toBeInstanceOf(ActorCrashedError);
    expect(e1.code).toBe('ERR_ACTOR_CRASHED');
    expect((e1.cause as Error).message).toBe('kaput');
    expect(e2).toBeInstanceOf(ActorCrashedError);
    const exit = await a.exited;
    expect(exit.reason).toBe('crashed');
    expect(dead.count).toBe(2); // queued ask + told
    await a.stop();
  });

  it('rejects bad arguments with coded errors', async () => {
    expect(() => spawn({} as never)).toThrow(InvalidArgumentError);
    expect(() => spawn(() => {}, { mailbox: 0 })).toThrow(/options.mailbox/);
    const a = spawn<number>(() => {});
    await expect(a.ask(1, {} as never)).rejects.toThrow(/options.timeout/);
    await a.stop();
  });

  it('ask honours an abort signal', async () => {
    const gate = new Channel<void>(0);
    const a = spawn<void>(async () => void (await gate.recv()));
    const ac = new AbortController();
    const p = a.ask(undefined, { timeout: 5000, signal: ac.signal });
    ac.abort(new Error('changed my mind'));
    await expect(p).rejects.toThrow('changed my mind');
    gate.close();
    await a.stop();
  });
});
