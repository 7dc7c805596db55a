// rate-limiter-flexible's index does not export the base class of its store limiters, but the
// package has no `exports` map, so the deep import is allowed (the version is pinned exactly).
// Its declaration lives in the package's types.d.ts; re-export it under the deep path.
declare module 'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js' {
  import { RateLimiterStoreAbstract } from 'rate-limiter-flexible';
  export default RateLimiterStoreAbstract;
}
