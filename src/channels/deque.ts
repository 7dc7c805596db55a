/**
 * A growable ring buffer: O(1) push at the tail and shift at the head with no `Array.shift`
 * (which is O(n) and reallocates). Capacity is a power of two so wrapping is a mask.
 *
 * Invariants: 0 <= #len <= #items.length; the live items are at indices
 * (#head + i) & #mask for i in [0, #len); every other slot holds `undefined` so shifted values
 * are not kept alive.
 */
export class Deque<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  #len = 0;

  /** `initial` is a hint; it is rounded up to a power of two (at least 4). */
  constructor(initial = 4) {
    let size = 4;
    while (size < initial) size *= 2;
    this.#items = new Array<T | undefined>(size).fill(undefined);
    this.#mask = size - 1;
  }

  get length(): number {
    return this.#len;
  }

  push(value: T): void {
    if (this.#len === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#len) & this.#mask] = value;
    this.#len++;
  }

  /** Caller checks `length > 0` first (the hot paths already know it). */
  shift(): T {
    const head = this.#head;
    const value = this.#items[head] as T;
    this.#items[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#len--;
    return value;
  }

  #grow(): void {
    const old = this.#items;
    const size = old.length * 2;
    const items = new Array<T | undefined>(size).fill(undefined);
    for (let i = 0; i < this.#len; i++) items[i] = old[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = size - 1;
    this.#head = 0;
  }
}
