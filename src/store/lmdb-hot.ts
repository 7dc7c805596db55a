/**
 * Decoded LMDB records reused while their bytes are unchanged: the stream service reads the same
 * few video records on every request, and decoding one (msgpack with an inline structure
 * definition) measured more than half of the record lookup in the serving-thread profile
 * (bench/results/http-profile.md).
 *
 * Invariants:
 * - a cached value is returned only when the record's current bytes equal the bytes it was
 *   decoded from, read in this call: the version is the content itself, so a write by any
 *   thread or process is seen by the next read, with nothing to invalidate;
 * - cached values are frozen (shared by every caller of this thread); callers that may modify
 *   what they read use the database's own `get`;
 * - at most MAX_ENTRIES per instance (cleared when full: a working set, not an index).
 */
import type { Database, Key } from 'lmdb';

const MAX_ENTRIES = 4096;

/** lmdb-js's own decoder of a database's values (what its `get` applies to the bytes it reads). */
interface WithDecoder<V> {
  decoder?: { decode(bytes: Uint8Array): V };
}

interface Entry<V> {
  bytes: Uint8Array;
  value: V;
}

export class HotRecords<V extends object, K extends Key & string> {
  readonly #db: Database<V, K>;
  readonly #prepare: (raw: V) => V;
  readonly #entries = new Map<K, Entry<V>>();

  /** `prepare` turns a decoded record into the returned value (e.g. default fields). */
  constructor(db: Database<V, K>, prepare: (raw: V) => V) {
    this.#db = db;
    this.#prepare = prepare;
  }

  get(key: K): Readonly<V> | undefined {
    const bytes = this.#db.getBinary(key); // a copy of the current bytes
    // A missing record leaves its entry (if any) in place: an entry is only ever returned for
    // bytes equal to the ones it was decoded from, and deleting would hash every unknown id.
    if (bytes === undefined) return undefined;
    const hit = this.#entries.get(key);
    if (hit !== undefined && Buffer.compare(hit.bytes, bytes) === 0) return hit.value;
    // Decoded from the bytes just read (a stable copy), as the database's own get would decode
    // them, rather than read twice; get is the fallback for a database with no decoder.
    const decoder = (this.#db as WithDecoder<V>).decoder;
    const raw = decoder !== undefined ? decoder.decode(bytes) : this.#db.get(key);
    if (raw === undefined) return undefined;
    const value = Object.freeze(this.#prepare(raw));
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    this.#entries.set(key, { bytes, value });
    return value;
  }
}
