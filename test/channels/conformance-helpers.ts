/** Shared helpers and options of the channel conformance suite (see conformance.case.ts). */
import { expect } from 'vitest';
import type { ChannelLike } from '../../src/channels/index.js';

export type MakeChannel = <T>(capacity: number) => ChannelLike<T> | Promise<ChannelLike<T>>;

export interface ConformanceOptions {
  /** Run the select cases (select/trySelect only wait on in-thread channels). @default true */
  select?: boolean;
  /**
   * Let every operation that can complete, complete (a macrotask turn drains all microtasks for
   * in-thread channels; a cross-thread kind may need to wait for its peer's acknowledgement).
   * Used only to assert that something has NOT happened yet. @default one setImmediate turn
   */
  settle?: () => Promise<void>;
  /** Release a channel's resources after each test (threads, ports). */
  dispose?: (ch: ChannelLike<unknown>) => void | Promise<void>;
  /** fast-check runs of the property test. @default 100 */
  propertyRuns?: number;
}

export interface Ctx {
  make: <T>(capacity: number) => Promise<ChannelLike<T>>;
  settle: () => Promise<void>;
  opts: ConformanceOptions;
}

export function context(
  make: MakeChannel,
  opts: ConformanceOptions,
): Ctx & { cleanup(): Promise<void> } {
  const made: ChannelLike<unknown>[] = [];
  const settle = opts.settle ?? (() => new Promise<void>((r) => setImmediate(r)));
  return {
    opts,
    settle,
    async make<T>(capacity: number): Promise<ChannelLike<T>> {
      const ch = await make<T>(capacity);
      made.push(ch as ChannelLike<unknown>);
      return ch;
    },
    async cleanup() {
      const all = made.splice(0);
      if (opts.dispose) for (const ch of all) await opts.dispose(ch);
    },
  };
}

/** Observe a promise without awaiting it: has it settled yet, and how? */
export function track<T>(p: Promise<T>): {
  readonly settled: boolean;
  readonly value: T | undefined;
  readonly error: unknown;
  readonly promise: Promise<T>;
} {
  const t = {
    settled: false,
    value: undefined as T | undefined,
    error: undefined as unknown,
    promise: p,
  };
  p.then(
    (v) => {
      t.settled = true;
      t.value = v;
    },
    (e) => {
      t.settled = true;
      t.error = e;
    },
  );
  return t;
}

export async function expectCode(
  p: Promise<unknown> | (() => unknown),
  code: string,
): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, `expected an error with code ${code}`).toBeInstanceOf(Error);
  expect((err as { code?: string }).code).toBe(code);
}

export async function expectAbort(p: Promise<unknown>, reason?: unknown): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected an AbortError').toBeInstanceOf(Error);
  expect((err as Error).name).toBe('AbortError');
  if (reason !== undefined) expect((err as Error).cause).toBe(reason);
}
