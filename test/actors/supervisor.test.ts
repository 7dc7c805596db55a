import { describe, expect, it } from 'vitest';
import {
  ActorCrashedError,
  type ActorRef,
  type ExitReason,
  InvalidArgumentError,
  type Supervisable,
  type SupervisorEvent,
  SupervisorGaveUpError,
  spawn,
  startSupervisor,
} from '../../src/actors/index.js';
import { Channel } from '../../src/channels/index.js';

const T = { timeout: 5000 };
type Cmd = 'crash' | 'ping';

/** A child whose behaviour crashes on 'crash' and answers 'pong' to 'ping'. */
const crashy = () =>
  spawn<Cmd, string>((m) => {
    if (m === 'crash') throw new Error('boom');
    return 'pong';
  });

function eventsChannel() {
  const events = new Channel<SupervisorEvent>(64);
  return { events, onEvent: (e: SupervisorEvent) => void events.trySend(e) };
}

describe('one-for-one supervisor', () => {
  it('restarts a crashed permanent child; the pending ask rejects; the new one answers', async () => {
    const { events, onEvent } = eventsChannel();
    const sup = await startSupervisor({ children: [{ id: 'c', start: crashy }], onEvent });
    const first = sup.child<ActorRef<Cmd, string>>('c')!;
    await expect(first.ask('crash', T)).rejects.toBeInstanceOf(ActorCrashedError);
    const e = (await events.recv()).value!;
    expect(e).toMatchObject({ type: 'restart', id: 'c', exit: { reason: 'crashed' } });
    const second = sup.child<ActorRef<Cmd, string>>('c')!;
    expect(second).not.toBe(first);
    expect(await second.ask('ping', T)).toBe('pong');
    await sup.stop();
    expect(second.running).toBe(false);
    expect(await sup.exited).toEqual({ reason: 'stopped' });
  });

  it('more than `intensity` restarts in `periodMs` → gives up, stops children, escalates', async () => {
    const { events, onEvent } = eventsChannel();
    const inner = () =>
      startSupervisor({
        intensity: 2,
        periodMs: 60_000,
        children: [
          { id: 'c', start: crashy },
          { id: 'bystander', start: () => spawn<Cmd, string>(() => 'ok') },
        ],
        onEvent,
      });
    const parentEvents = eventsChannel();
    const parent = await startSupervisor({
      intensity: 5,
      children: [{ id: 'inner', start: inner }],
      onEvent: parentEvents.onEvent,
    });
    const sup = parent.child<Awaited<ReturnType<typeof inner>>>('inner')!;
    const bystander = sup.child<ActorRef<Cmd, string>>('bystander')!;
    for (let i = 0; i < 3; i++) {
      await sup
        .child<ActorRef<Cmd, string>>('c')!
        .ask('crash', T)
        .catch(() => {});
      const e = (await events.recv()).value!;
      expect(e.type).toBe(i < 2 ? 'restart' : 'gave-up');
    }
    const exit = (await sup.exited) as Extract<ExitReason, { reason: 'crashed' }>;
    expect(exit.reason).toBe('crashed');
    expect(exit.error).toBeInstanceOf(SupervisorGaveUpError);
    expect((exit.error as SupervisorGaveUpError).code).toBe('ERR_SUPERVISOR_GAVE_UP');
    expect(bystander.running).toBe(false);
    // Escalation: the parent saw a crash and restarted the inner supervisor with fresh children.
    expect((await parentEvents.events.recv()).value).toMatchObject({
      type: 'restart',
      id: 'inner',
    });
    const again = parent.child<Awaited<ReturnType<typeof inner>>>('inner')!;
    expect(again).not.toBe(sup);
    expect(await again.child<ActorRef<Cmd, string>>('c')!.ask('ping', T)).toBe('pong');
    await parent.stop();
  });

  it('transient restarts only after a crash; temporary never restarts', async () => {
    const { events, onEvent } = eventsChannel();
    const sup = await startSupervisor({
      children: [
        { id: 't', start: crashy, restart: 'transient' },
        { id: 'tmp', start: crashy, restart: 'temporary' },
      ],
      onEvent,
    });
    await sup
      .child<ActorRef<Cmd, string>>('t')!
      .ask('crash', T)
      .catch(() => {});
    expect((await events.recv()).value).toMatchObject({ type: 'restart', id: 't' });
    await sup.child<ActorRef<Cmd, string>>('t')!.stop(); // normal exit: not restarted
    expect((await events.recv()).value).toMatchObject({ type: 'exit', id: 't' });
    expect(sup.child('t')).toBeUndefined();
    await sup
      .child<ActorRef<Cmd, string>>('tmp')!
      .ask('crash', T)
      .catch(() => {});
    expect((await events.recv()).value).toMatchObject({ type: 'exit', id: 'tmp' });
    expect(sup.child('tmp')).toBeUndefined();
    await sup.stop();
  });

  it('shuts down in reverse start order, killing a child that misses its deadline', async () => {
    const order: string[] = [];
    const { events, onEvent } = eventsChannel();
    const child = (id: string, hang = false): Supervisable => {
      let exit!: (r: ExitReason) => void;
      const exited = new Promise<ExitReason>((r) => (exit = r));
      return {
        exited,
        stop: () => {
          order.push(`stop ${id}`);
          if (hang) return new Promise<void>(() => {});
          exit({ reason: 'stopped' });
          return Promise.resolve();
        },
        kill: async () => {
          order.push(`kill ${id}`);
          exit({ reason: 'stopped' });
        },
      };
    };
    const sup = await startSupervisor({
      children: [
        { id: 'a', start: () => child('a') },
        { id: 'b', start: () => child('b', true), shutdownMs: 20 },
        { id: 'c', start: () => child('c') },
      ],
      onEvent,
    });
    await Promise.all([sup.stop(), sup.stop()]);
    expect(order).toEqual(['stop c', 'stop b', 'kill b', 'stop a']);
    const e = (await events.recv()).value!;
    expect(e).toMatchObject({ type: 'shutdown-timeout', id: 'b' });
  });

  it('a child restarting while the supervisor shuts down is stopped, not leaked', async () => {
    const gate = new Channel<void>(0);
    const incarnations: ActorRef<Cmd, string>[] = [];
    const sup = await startSupervisor({
      children: [
        {
          id: 'slow',
          start: async () => {
            if (incarnations.length > 0) await gate.recv(); // restarts wait for the test
            const a = crashy();
            incarnations.push(a);
            return a;
          },
        },
      ],
    });
    await incarnations[0]!.ask('crash', T).catch(() => {});
    await incarnations[0]!.exited;
    const stopping = sup.stop();
    await gate.send(); // the restart completes only now, after shutdown passed the slot
    await stopping;
    while (incarnations.length < 2) await new Promise((r) => setImmediate(r));
    await incarnations[1]!.exited;
    expect(incarnations[1]!.running).toBe(false);
  });

  it('validates options and stops started children when a start fails', async () => {
    await expect(startSupervisor({ children: [], intensity: -1 })).rejects.toThrow(
      /options.intensity/,
    );
    await expect(
      startSupervisor({
        children: [
          { id: 'x', start: crashy },
          { id: 'x', start: crashy },
        ],
      }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    const started: ActorRef<Cmd, string>[] = [];
    const err = await startSupervisor({
      children: [
        {
          id: 'ok',
          start: () => {
            started.push(crashy());
            return started[0]!;
          },
        },
        {
          id: 'bad',
          start: () => {
            throw new Error('cannot start');
          },
        },
      ],
    }).catch((e) => e);
    expect(err.message).toBe('cannot start');
    expect(started[0]!.running).toBe(false);
  });
});
