/**
 * The host's sign-in relay (relaySignIn, src/http/host-thread.ts) over real port channels, with
 * this thread playing the HTTP threads' side: every other thread still serving gets the
 * 'lift-block' command; the one that signed in, and closing, wedged, abandoned or closed ones,
 * do not, and none of them makes it throw. A thread that does not read gets relays only until one
 * credit is left, so the host's 'close' still finds a credit; relays reach it again once it reads.
 * A key a thread sends that is not an account key the api makes is relayed to no one.
 *
 * Absence is checked by order, never by waiting: one port delivers in order (the channels' P4),
 * so when a marker 'close' sent after the relay is the first value read, the relay sent nothing.
 */
import type { MessagePort } from 'node:worker_threads';
import { afterEach, expect, it, vi } from 'vitest';
import { createPortChannel, PortReceiver, PortSender } from '../../src/channels/index.js';
import * as v from '../../src/http/api/validate.js';
import type { ThreadCommand } from '../../src/http/host.worker.js';
import { closeThread } from '../../src/http/host-close.js';
import { relaySignIn, type Thread } from '../../src/http/host-thread.js';
import { foldUserName } from '../../src/store/index.js';

const ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

const CLOSE: ThreadCommand = { type: 'close', deadlineMs: 0 };
const lift = (accountKey: string): ThreadCommand => ({ type: 'lift-block', accountKey });

/** A thread as relaySignIn sees it (its control channel and state flags), and its reading end. */
function thread(capacity = 8) {
  const { sendEnd, recvEnd } = createPortChannel(capacity);
  ports.push(sendEnd.port, recvEnd.port);
  const t = {
    control: new PortSender<ThreadCommand>(sendEnd),
    closing: false,
    wedged: false,
    abandoned: false,
  };
  return { t: t as typeof t & Thread, rx: new PortReceiver<ThreadCommand>(recvEnd) };
}

async function next(rx: PortReceiver<ThreadCommand>): Promise<ThreadCommand | undefined> {
  return (await rx.recv()).value;
}

it('tells every other thread still serving, and no other', async () => {
  const [from, live1, live2, closing, wedged, abandoned] = [1, 2, 3, 4, 5, 6].map(() => thread());
  closing!.t.closing = true;
  wedged!.t.wedged = true;
  abandoned!.t.abandoned = true;
  const all = [from!, live1!, live2!, closing!, wedged!, abandoned!];
  relaySignIn(
    all.map((x) => x.t),
    from!.t,
    'alice',
  );
  for (const x of all) expect(x.t.control.trySend(CLOSE)).toBe(true);
  for (const x of [live1!, live2!]) {
    expect(await next(x.rx)).toEqual(lift('alice'));
    expect(await next(x.rx)).toEqual(CLOSE);
  }
  for (const x of [from!, closing!, wedged!, abandoned!]) expect(await next(x.rx)).toEqual(CLOSE);
});

it('a thread that does not read gets relays until one credit is left: the close still goes', async () => {
  const from = thread();
  const idle = thread(8);
  for (let i = 0; i < 20; i++) relaySignIn([from.t, idle.t], from.t, `user${i}`);
  expect(idle.t.control.length).toBe(7);
  expect(idle.t.control.trySend(CLOSE)).toBe(true);
  for (let i = 0; i < 7; i++) expect(await next(idle.rx)).toEqual(lift(`user${i}`));
  expect(await next(idle.rx)).toEqual(CLOSE);
  // It read everything: its credits come back, and so do the relays.
  await vi.waitFor(() => expect(idle.t.control.length).toBe(0), { timeout: 30_000 });
  relaySignIn([from.t, idle.t], from.t, 'later');
  expect(await next(idle.rx)).toEqual(lift('later'));
});

it('a thread whose channel is closed is skipped without an error; the others are told', async () => {
  const from = thread();
  const ended = thread();
  const live = thread();
  ended.t.control.close();
  expect(() => relaySignIn([from.t, ended.t, live.t], from.t, 'bob')).not.toThrow();
  expect(await next(live.rx)).toEqual(lift('bob'));
  expect(await ended.rx.recv()).toEqual({ value: undefined, ok: false });
});

it('a key that is not an account key is relayed to nobody; a well-formed one still is', async () => {
  const from = thread();
  const other = thread();
  const bad: unknown[] = [
    'x'.repeat(33), // longer than a user name
    'ab', // shorter
    'x'.repeat(64 * 1024), // a flood in one event
    'Alice', // not folded: the api never relays this form
    '../etc',
    'bob\n{"type":"close"}',
    'ünï',
    '',
    42,
    { accountKey: 'alice' },
    undefined,
  ];
  for (const key of bad)
    expect(relaySignIn([from.t, other.t], from.t, key), String(key)).toBe(false);
  expect(other.t.control.length).toBe(0);
  expect(relaySignIn([from.t, other.t], from.t, 'carol_2-x')).toBe(true);
  expect(other.t.control.trySend(CLOSE)).toBe(true);
  // In order on one port: the well-formed key's relay comes first, none of the others before it.
  expect(await next(other.rx)).toEqual(lift('carol_2-x'));
  expect(await next(other.rx)).toEqual(CLOSE);
});

it('every key the api makes from a valid user name is relayed', async () => {
  const from = thread();
  const other = thread(64);
  const names = ['abc', 'A'.repeat(32), 'Mixed_Case-09', 'ZZZ', '_-_'];
  for (const name of names) {
    expect(v.userName({ user_name: name })).toBe(name);
    expect(relaySignIn([from.t, other.t], from.t, foldUserName(name)), name).toBe(true);
  }
  for (const name of names) expect(await next(other.rx)).toEqual(lift(foldUserName(name)));
});

it('closing a thread whose port already closed waits for its exit instead of throwing', async () => {
  const ended = thread();
  ended.t.control.close();
  let abandoned = 0;
  const t = Object.assign(ended.t, {
    index: 0,
    exited: Promise.resolve(0),
    abandon: () => abandoned++,
  });
  await expect(closeThread(t, 0)).resolves.toBe(true);
  expect(abandoned).toBe(0);
});
