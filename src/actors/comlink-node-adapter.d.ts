// comlink ships this ESM adapter without a `.d.mts` next to it (its types sit in
// dist/esm/node-adapter.d.ts, which NodeNext does not pair with a `.mjs`), and the package has no
// `exports` map, so the deep import is allowed but untyped. Declare what we use.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';

  interface NodeEndpoint {
    postMessage(message: unknown): void;
    // biome-ignore lint/suspicious/noExplicitAny: Node's listener signatures vary by emitter
    on(type: 'message', listener: (...args: any[]) => void): unknown;
    // biome-ignore lint/suspicious/noExplicitAny: as above
    off(type: 'message', listener: (...args: any[]) => void): unknown;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
