/**
 * Waiting on a shared word without blocking the thread, and keeping the thread alive meanwhile.
 *
 * `Atomics.waitAsync` (Node ≥ 16; missing from the ES2023 lib typings we compile against) does
 * not keep Node's event loop alive: a thread whose only pending work is a cross-thread receive
 * would simply exit. So while any endpoint of this thread has a blocked operation we hold one
 * ref'd timer (`hold`/`unhold` are counted); it never fires in practice.
 */

type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

const waitAsyncImpl = (
  Atomics as unknown as {
    waitAsync?: (a: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;
  }
).waitAsync;

/** Resolves once `a[index]` is no longer `value` (at once if it already differs). */
export function waitChange(
  a: Int32Array,
  index: number,
  value: number,
): Promise<unknown> | undefined {
  if (waitAsyncImpl === undefined) {
    throw new Error('Atomics.waitAsync is required (Node >= 16)');
  }
  const r = waitAsyncImpl(a, index, value);
  return r.async ? r.value : undefined;
}

let holds = 0;
let keepAlive: NodeJS.Timeout | undefined;

export function hold(): void {
  if (holds++ === 0) keepAlive = setInterval(() => {}, 1 << 30);
}

export function unhold(): void {
  if (--holds === 0) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}
