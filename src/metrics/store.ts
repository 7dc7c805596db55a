/**
 * Store operation latency: wraps each store of a `Stores` bundle (records, queue, blobs… whatever
 * the bundle holds) in a Proxy that times every method returning a promise into
 * `store_operation_duration_seconds{store, op, outcome}`.
 *
 * Why a Proxy: the adapters stay free of metrics code, and both record adapters and all blob
 * adapters are measured the same way. Wrappers are made once per method name and cached, so a call
 * costs one Map lookup and two clock reads. Non-function properties and synchronous results pass
 * through untouched; `close` is not timed. The synchronous methods of the store interfaces
 * (`getVideoNow`, `localPath`: per streamed request, never a promise) get the method bound to
 * the store, without the wrapper's clock reads.
 */
import { performance } from 'node:perf_hooks';
import { threadMetrics } from './registry.js';

/** Store methods that are synchronous by contract (store/types.ts). */
const SYNCHRONOUS = new Set(['getVideoNow', 'localPath']);

type AnyFn = (...args: unknown[]) => unknown;

function timed<T extends object>(store: T, name: string): T {
  const cache = new Map<PropertyKey, AnyFn>();
  const { storeOps } = threadMetrics();
  return new Proxy(store, {
    get(target, prop) {
      // The target as receiver: getters over private fields must not see the proxy.
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function' || prop === 'close' || typeof prop !== 'string') return value;
      let w = cache.get(prop);
      if (!w) {
        const fn = value as AnyFn;
        if (SYNCHRONOUS.has(prop)) {
          w = fn.bind(target);
          cache.set(prop, w);
          return w;
        }
        w = (...args: unknown[]) => {
          const t0 = performance.now();
          const out = fn.apply(target, args);
          if (!(out instanceof Promise)) return out;
          const done = (outcome: 'ok' | 'error') => () =>
            storeOps.observe({ store: name, op: prop, outcome }, (performance.now() - t0) / 1000);
          out.then(done('ok'), done('error'));
          return out;
        };
        cache.set(prop, w);
      }
      return w;
    },
  });
}

/** The same bundle with every store timed (`close` untouched). */
export function observeStores<S extends { close(): Promise<void> }>(stores: S): S {
  const out = { ...stores, close: () => stores.close() } as Record<string, unknown>;
  for (const [key, value] of Object.entries(stores)) {
    if (key !== 'close' && typeof value === 'object' && value !== null) {
      out[key] = timed(value, key);
    }
  }
  return out as S;
}
